//! The browser: a reqwest client with a cookie jar that follows redirects, and the
//! gestures of a user (open, click, fill and press) that each return the new page.

use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::header::HeaderMap;
use url::Url;

use crate::markup::{Action, PageError, Submission};
use crate::page::Page;

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a gesture failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The page does not offer what was asked for (no such link, button or field).
    #[error("on {url}: {problem}")]
    Page {
        /// The address of the page the gesture was made on.
        url: String,
        /// What it lacks (and what it offers instead).
        problem: PageError,
    },
    /// The address is not a URL, or is relative and the browser has no base.
    #[error("bad address {address:?}: {problem}")]
    Address {
        /// The address given.
        address: String,
        /// Why it is not one.
        problem: url::ParseError,
    },
    /// The request got no answer, or its body could not be read.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

/// One user agent with its own cookie jar. Redirects are followed, as a browser does;
/// every answer, whatever its status, is a [`Page`].
#[derive(Debug, Clone)]
pub struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
    base: Option<Url>,
}

impl Browser {
    /// A fresh browser: empty cookie jar, no proxy.
    pub fn new() -> Result<Self, Error> {
        Self::with_headers(HeaderMap::new())
    }

    /// A fresh browser that sends `headers` with every request (a forged `Host`, a
    /// cookie of its own making, another `User-Agent`).
    pub fn with_headers(headers: HeaderMap) -> Result<Self, Error> {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .no_proxy()
            .timeout(TIMEOUT)
            .user_agent(concat!("htmlform/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .build()?;
        Ok(Self {
            client,
            jar,
            base: None,
        })
    }

    /// Resolves relative addresses (`/login`) against `base`.
    #[must_use]
    pub fn with_base(mut self, base: Url) -> Self {
        self.base = Some(base);
        self
    }

    /// The HTTP client, with this browser's cookies: for requests no page would send.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// `address` as a URL: absolute, or relative to the base.
    pub fn resolve(&self, address: &str) -> Result<Url, Error> {
        let parsed = match &self.base {
            Some(base) => base.join(address),
            None => Url::parse(address),
        };
        parsed.map_err(|problem| Error::Address {
            address: address.to_owned(),
            problem,
        })
    }

    /// Every cookie the browser would send to `address`, as its `Cookie` header.
    pub fn cookie_header(&self, address: &str) -> Option<String> {
        let header = self.jar.cookies(&self.resolve(address).ok()?)?;
        header.to_str().ok().map(str::to_owned)
    }

    /// The value of the cookie `name` that the browser would send to `address`.
    pub fn cookie(&self, name: &str, address: &str) -> Option<String> {
        self.cookie_header(address)?
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.to_owned())
    }

    /// Opens `address`.
    pub async fn get(&self, address: &str) -> Result<Page, Error> {
        let url = self.resolve(address)?;
        self.load(self.client.get(url)).await
    }

    /// Follows the link, or presses the button, named `name` on `page`, with the values
    /// the page holds.
    pub async fn click(&self, page: &Page, name: &str) -> Result<Page, Error> {
        self.submit(page, name, &[]).await
    }

    /// Types each value into the field with that label, then presses `button`.
    pub async fn submit(
        &self,
        page: &Page,
        button: &str,
        fill: &[(&str, &str)],
    ) -> Result<Page, Error> {
        let on_page = |problem| Error::Page {
            url: page.url.to_string(),
            problem,
        };
        let typed = fill
            .iter()
            .map(|(label, value)| Ok((page.field_name(label)?, (*value).to_owned())))
            .collect::<Result<Vec<_>, PageError>>()
            .map_err(on_page)?;
        let action = page.plan(button, &typed).map_err(on_page)?;
        self.perform(action).await
    }

    /// Does what a click was planned to do ([`Page::plan`]).
    pub async fn perform(&self, action: Action) -> Result<Page, Error> {
        match action {
            Action::Get(url) => self.load(self.client.get(url)).await,
            Action::Submit(submission) => self.send(submission).await,
        }
    }

    /// Sends a form submission, as planned or as altered by the test.
    pub async fn send(&self, submission: Submission) -> Result<Page, Error> {
        let Submission {
            method,
            mut url,
            fields,
        } = submission;
        let request = if method == "GET" {
            url.query_pairs_mut().clear().extend_pairs(&fields);
            self.client.get(url)
        } else {
            self.client.post(url).form(&fields)
        };
        self.load(request).await
    }

    /// Posts `fields` to `address` as a form would, whatever the page offers.
    pub async fn post_form(
        &self,
        address: &str,
        fields: &[(String, String)],
    ) -> Result<Page, Error> {
        let url = self.resolve(address)?;
        self.load(self.client.post(url).form(fields)).await
    }

    async fn load(&self, request: reqwest::RequestBuilder) -> Result<Page, Error> {
        let response = request.send().await?;
        Ok(Page {
            url: response.url().clone(),
            status: response.status(),
            headers: response.headers().clone(),
            html: response.text().await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    const FORM: &str = r#"<html><body><h1>Log in</h1>
        <form method="post" action="/login">
          <input type="hidden" name="csrf" value="t0k3n">
          <label for="e">Email</label><input id="e" name="email">
          <button>Log in</button>
        </form><a href="/elsewhere">Elsewhere</a></body></html>"#;

    /// A server that answers `GET /` with [`FORM`] and a cookie, and any other request
    /// with a page that shows the request line, its `Cookie` header and its body.
    async fn server() -> Url {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).await.unwrap();
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length: ")?
                                    .parse()
                                    .ok()
                            })
                            .unwrap_or(0);
                        if body.len() >= length || n == 0 {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&request).into_owned();
                let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                let line = head.lines().next().unwrap_or_default();
                let cookie = head
                    .lines()
                    .find_map(|l| l.strip_prefix("cookie: "))
                    .unwrap_or("none");
                let (extra, page) = if line.starts_with("GET / ") {
                    ("set-cookie: id=42; Path=/\r\n", FORM.to_owned())
                } else {
                    (
                        "",
                        format!("<body><p>{line}</p><p>cookie {cookie}</p><p>{body}</p></body>"),
                    )
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        Url::parse(&format!("http://{addr}/")).unwrap()
    }

    #[tokio::test]
    async fn a_form_is_filled_by_label_and_sent_with_its_hidden_fields_and_cookies() {
        let browser = Browser::new().unwrap().with_base(server().await);
        let page = browser.get("/").await.unwrap();
        assert!(page.says("Log in") && page.form("Log in").is_some());
        let answer = browser
            .submit(&page, "Log in", &[("Email", "a@b.test")])
            .await
            .unwrap();
        assert!(answer.says("POST /login HTTP/1.1"), "{}", answer.text());
        assert!(answer.says("cookie id=42"), "{}", answer.text());
        assert!(
            answer.says("csrf=t0k3n&email=a%40b.test"),
            "{}",
            answer.text()
        );
        assert_eq!(browser.cookie("id", "/").as_deref(), Some("42"));
    }

    #[tokio::test]
    async fn links_are_followed_and_missing_ones_name_the_page() {
        let base = server().await;
        let browser = Browser::new().unwrap().with_base(base.clone());
        let page = browser.get("/").await.unwrap();
        let next = browser.click(&page, "Elsewhere").await.unwrap();
        assert_eq!(next.url.path(), "/elsewhere");
        let err = browser.click(&page, "Nowhere").await.unwrap_err();
        assert!(
            matches!(&err, Error::Page { url, .. } if *url == base.as_str()),
            "{err}"
        );
        assert!(err.to_string().contains("\"Elsewhere\""), "{err}");
    }

    #[test]
    fn relative_addresses_need_a_base() {
        let err = Browser::new().unwrap().resolve("/login").unwrap_err();
        assert!(matches!(err, Error::Address { .. }), "{err}");
    }
}
