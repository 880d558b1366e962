//! The "browser" a scenario drives: over plain HTTP ([`htmlform`]: reqwest with a cookie
//! jar, pages read from their markup) or a real Chromium through WebDriver (fantoccini). Both
//! offer the same few gestures, named after what a user does, so one set of steps drives
//! either.

use std::time::Duration;

use anyhow::Context as _;
use fantoccini::{Client, Locator};
use url::Url;

use htmlform::Page;
use htmlform::markup::{self as html, Action};
use reqwest::header::HeaderValue;

/// How the HTTP browser introduces itself.
const USER_AGENT: &str = "conformance-suite (HTTP browser)";

/// One user agent with its own cookies.
#[derive(Debug)]
pub enum Browser {
    /// HTTP with a cookie jar.
    Http(HttpBrowser),
    /// Chromium through WebDriver.
    Web(WebBrowser),
}

impl Browser {
    /// Opens `url`.
    pub async fn open(&mut self, url: &Url) -> anyhow::Result<()> {
        match self {
            Self::Http(b) => b.open(url).await,
            Self::Web(b) => b.open(url).await,
        }
    }

    /// Follows the link or presses the button whose visible text (or accessible name,
    /// e.g. `aria-label`) is `name`. An empty name is a step the target does not have
    /// (its profile gives the text as `""`): nothing is clicked.
    pub async fn click(&mut self, name: &str) -> anyhow::Result<()> {
        if name.is_empty() {
            return Ok(());
        }
        match self {
            Self::Http(b) => b.click(name).await,
            Self::Web(b) => b.click(name).await,
        }
    }

    /// Types `value` into the field labelled `label`.
    pub async fn fill(&mut self, label: &str, value: &str) -> anyhow::Result<()> {
        match self {
            Self::Http(b) => b.fill(label, value),
            Self::Web(b) => b.fill(label, value).await,
        }
    }

    /// Whether the page has a field labelled `label`.
    pub async fn has_field(&mut self, label: &str) -> anyhow::Result<bool> {
        if label.is_empty() {
            return Ok(false);
        }
        match self {
            Self::Http(b) => Ok(b.page.as_ref().is_some_and(|p| p.has_field(label))),
            Self::Web(b) => Ok(b.field(label).await.is_ok()),
        }
    }

    /// Whether the page has a link or button named `name`.
    pub async fn has_clickable(&mut self, name: &str) -> anyhow::Result<bool> {
        if name.is_empty() {
            return Ok(false);
        }
        match self {
            Self::Http(b) => Ok(b.plan(name).is_ok()),
            Self::Web(b) => Ok(b.clickable(name).await.is_ok()),
        }
    }

    /// The page's visible text, whitespace collapsed.
    pub async fn text(&mut self) -> anyhow::Result<String> {
        match self {
            Self::Http(b) => Ok(b.text()),
            Self::Web(b) => b.text().await,
        }
    }

    /// The page's markup (for the step failure report).
    pub async fn html(&mut self) -> anyhow::Result<String> {
        match self {
            Self::Http(b) => Ok(b.body().to_owned()),
            Self::Web(b) => Ok(b.client.source().await?),
        }
    }

    /// The address in the address bar.
    pub async fn url(&mut self) -> anyhow::Result<Url> {
        match self {
            Self::Http(b) => Ok(b.page()?.url.clone()),
            Self::Web(b) => Ok(b.client.current_url().await?),
        }
    }

    /// The response headers as a comparable list (HTTP mode only): see
    /// [`htmlform::header_shape`].
    pub fn header_shape(&self) -> Option<Vec<String>> {
        let Self::Http(HttpBrowser {
            page: Some(page), ..
        }) = self
        else {
            return None;
        };
        Some(htmlform::header_shape(&page.headers))
    }

    /// The `Cookie` header the browser sends to its page: what a copier could replay.
    pub async fn cookie_header(&mut self) -> anyhow::Result<String> {
        match self {
            Self::Http(b) => {
                let url = b.page()?.url.clone();
                Ok(b.browser.cookie_header(url.as_str()).unwrap_or_default())
            }
            Self::Web(b) => {
                let cookies = b.client.get_all_cookies().await?;
                let pairs: Vec<String> = cookies
                    .iter()
                    .map(|c| format!("{}={}", c.name(), c.value()))
                    .collect();
                Ok(pairs.join("; "))
            }
        }
    }

    /// The last HTTP status (HTTP mode only: WebDriver does not expose it).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http(b) => Some(b.status_code()),
            Self::Web(_) => None,
        }
    }

    /// The HTTP status of the page shown; in Chromium, from its navigation timing.
    pub async fn page_status(&mut self) -> Option<u16> {
        match self {
            Self::Http(b) => Some(b.status_code()),
            Self::Web(b) => {
                let js = "return performance.getEntriesByType('navigation')[0]?.responseStatus";
                let status = b.client.execute(js, vec![]).await.ok()?.as_u64()?;
                u16::try_from(status).ok()
            }
        }
    }

    /// A PNG of the page, in browser mode.
    pub async fn screenshot(&mut self) -> Option<Vec<u8>> {
        match self {
            Self::Http(_) => None,
            Self::Web(b) => b.client.screenshot().await.ok(),
        }
    }

    /// Ends the browser's use by this scenario: a Chromium session is cleaned and
    /// parked for the next scenario ([`crate::chromedriver::park`]).
    pub async fn close(&mut self) {
        if let Self::Web(b) = self {
            crate::chromedriver::park(&b.webdriver, &b.language, b.client.clone()).await;
        }
    }

    /// A one-line description of where the browser is and what it shows, for failure
    /// messages ("the page showed instead ...").
    pub async fn describe(&mut self) -> String {
        let url = self
            .url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_else(|_| "(no page)".into());
        let status = self.status().map(|s| format!(" [{s}]")).unwrap_or_default();
        let text = self.text().await.unwrap_or_default();
        let text = if text.chars().count() > 600 {
            format!("{}…", text.chars().take(600).collect::<String>())
        } else {
            text
        };
        format!("page {url}{status} shows: {text:?}")
    }
}

/// A browser over HTTP ([`htmlform`]): cookies kept, redirects followed, forms
/// submitted with their hidden fields, no JavaScript. It holds the page it is on and what
/// was typed into it, as a user's browser does.
#[derive(Debug)]
pub struct HttpBrowser {
    browser: htmlform::Browser,
    page: Option<Box<Page>>,
    typed: Vec<(String, String)>,
}

impl HttpBrowser {
    /// A fresh browser (empty cookie jar).
    pub fn new() -> anyhow::Result<Self> {
        Self::with_headers(reqwest::header::HeaderMap::new())
    }

    /// A fresh browser asking for pages in the language `code` (`Accept-Language`).
    pub fn speaking(code: &str) -> anyhow::Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(code).context("a language code")?,
        );
        Self::with_headers(headers)
    }

    /// A fresh browser that sends `headers` with every request (e.g. a forged `Host`).
    pub fn with_headers(mut headers: reqwest::header::HeaderMap) -> anyhow::Result<Self> {
        headers
            .entry(reqwest::header::USER_AGENT)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        Ok(Self {
            browser: htmlform::Browser::with_headers(headers)
                .context("building the HTTP client")?,
            page: None,
            typed: Vec::new(),
        })
    }

    /// The page the browser is on.
    pub fn page(&self) -> anyhow::Result<&Page> {
        self.page.as_deref().context("no page opened yet")
    }

    /// The last HTTP status (0 before any page).
    pub fn status_code(&self) -> u16 {
        self.page.as_ref().map_or(0, |p| p.status.as_u16())
    }

    /// Shows `answer`; a server error fails the gesture (its page is kept).
    fn show(&mut self, answer: Result<Page, htmlform::Error>) -> anyhow::Result<()> {
        let page = answer.context("the portal did not answer")?;
        self.typed.clear();
        let failed = page.status.is_server_error();
        let page = self.page.insert(Box::new(page));
        if failed {
            anyhow::bail!(
                "the portal answered {} at {}: {}",
                page.status.as_u16(),
                page.url,
                page.text()
            );
        }
        Ok(())
    }

    /// Opens `url`.
    pub async fn open(&mut self, url: &Url) -> anyhow::Result<()> {
        let answer = self.browser.get(url.as_str()).await;
        self.show(answer)
    }

    fn plan(&self, name: &str) -> anyhow::Result<Action> {
        Ok(self.page()?.plan(name, &self.typed)?)
    }

    /// The submission `button` would send now (its form with what was typed), to be
    /// sent again and again ([`HttpBrowser::client`]).
    pub fn planned(&self, button: &str) -> anyhow::Result<htmlform::Submission> {
        match self.plan(button)? {
            Action::Submit(submission) => Ok(submission),
            Action::Get(_) => anyhow::bail!("{button:?} is a link, not a form button"),
        }
    }

    /// The client underneath, with its cookies and its kept-alive connection.
    pub fn client(&self) -> &htmlform::Browser {
        &self.browser
    }

    /// Follows a link or submits the form of a button.
    pub async fn click(&mut self, name: &str) -> anyhow::Result<()> {
        let action = self.plan(name)?;
        let answer = self.browser.perform(action).await;
        self.show(answer)
    }

    /// Types into the field labelled `label` (sent with the next form submitted).
    pub fn fill(&mut self, label: &str, value: &str) -> anyhow::Result<()> {
        let name = self.page()?.field_name(label)?;
        self.typed.retain(|(n, _)| *n != name);
        self.typed.push((name, value.to_owned()));
        Ok(())
    }

    /// The current page's markup.
    pub fn body(&self) -> &str {
        self.page.as_ref().map_or("", |p| p.html.as_str())
    }

    /// The current page's visible text.
    pub fn text(&self) -> String {
        self.page.as_deref().map(Page::text).unwrap_or_default()
    }

    /// Presses `button` the way a forged cross-site form would: same fields, minus
    /// every field whose name contains `drop` (e.g. `csrf`).
    pub async fn click_without_field(&mut self, button: &str, drop: &str) -> anyhow::Result<()> {
        self.click_altered(button, |fields| {
            fields.retain(|(name, _)| !name.to_lowercase().contains(drop));
        })
        .await
    }

    /// Presses `button` after `alter` has changed the fields its form sends: what a
    /// script sends instead of the page's own form.
    pub async fn click_altered(
        &mut self,
        button: &str,
        alter: impl FnOnce(&mut Vec<(String, String)>),
    ) -> anyhow::Result<()> {
        match self.plan(button)? {
            Action::Submit(mut submission) => {
                alter(&mut submission.fields);
                submission.method = "POST".to_owned();
                let answer = self.browser.send(submission).await;
                self.show(answer)
            }
            Action::Get(_) => anyhow::bail!("{button:?} is a link, not a form button"),
        }
    }
}

/// The no-break spaces (U+00A0, U+202F) an XPath test reads as spaces.
const NO_BREAK: &str = "\u{a0}\u{202f}";

/// How long a click may take to replace the page in Chromium.
const NAVIGATION_WAIT: Duration = Duration::from_secs(5);

/// Chromium driven through WebDriver.
#[derive(Debug)]
pub struct WebBrowser {
    client: Client,
    /// The chromedriver it runs under and the language its pages are asked for: where
    /// it is parked when the scenario ends.
    webdriver: String,
    language: String,
}

/// Quotes `s` as an XPath string literal (XPath 1.0 has no escapes: use `concat`).
pub fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

impl WebBrowser {
    /// A WebDriver session without cookies whose pages are asked for in the language
    /// `code`: one a finished scenario parked, or a new one (a fresh Chromium profile).
    pub async fn connect(webdriver_url: &str, code: &str) -> anyhow::Result<Self> {
        let client = match crate::chromedriver::take_parked(webdriver_url, code) {
            Some(client) => client,
            None => Self::start(webdriver_url, code).await?,
        };
        Ok(Self {
            client,
            webdriver: webdriver_url.to_owned(),
            language: code.to_owned(),
        })
    }

    /// Starts a Chromium through `webdriver_url`.
    async fn start(webdriver_url: &str, code: &str) -> anyhow::Result<Client> {
        let mut args: Vec<String> = crate::chromedriver::CHROMIUM_ARGS
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        args.push(format!("--lang={code}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": crate::chromedriver::CHROMIUM,
                "args": args,
                "prefs": { "intl": { "accept_languages": code } },
            }),
        );
        let client = fantoccini::ClientBuilder::rustls()
            .context("TLS roots for the WebDriver client")?
            .capabilities(caps)
            .connect(webdriver_url)
            .await
            .with_context(|| format!("opening a Chromium session through {webdriver_url}"))?;
        Ok(client)
    }

    async fn open(&mut self, url: &Url) -> anyhow::Result<()> {
        self.client
            .goto(url.as_str())
            .await
            .with_context(|| format!("opening {url}"))
    }

    async fn clickable(&self, name: &str) -> anyhow::Result<fantoccini::elements::Element> {
        let n = xpath_literal(&html::normalize(name));
        // No-break spaces (French puts them before `?` and `:`) read as spaces, as
        // `html::normalize` reads them.
        let text = format!("normalize-space(translate(., '{NO_BREAK}', '  '))");
        let xpath = format!(
            "//a[@href][normalize-space(@aria-label)={n} or (not(@aria-label) and {text}={n})] \
             | //button[normalize-space(@aria-label)={n} or (not(@aria-label) and {text}={n})] \
             | //input[(@type='submit' or @type='button') and (normalize-space(@value)={n} or normalize-space(@aria-label)={n})]"
        );
        for el in self.client.find_all(Locator::XPath(&xpath)).await? {
            if el.is_displayed().await.unwrap_or(false) {
                return Ok(el);
            }
        }
        anyhow::bail!("no visible link or button named {name:?} on this page")
    }

    async fn click(&mut self, name: &str) -> anyhow::Result<()> {
        let el = self.clickable(name).await?;
        let page = self.client.find(Locator::Css("html")).await?;
        el.click()
            .await
            .with_context(|| format!("clicking {name:?}"))?;
        self.left(&page).await;
        Ok(())
    }

    /// Waits until the document whose root is `page` has been replaced. WebDriver's
    /// Element Click does not always wait for the navigation a submit button starts: until
    /// it commits, the old page still answers, and the next gesture would find its
    /// fields, or read its text, just before they go. Every link and button of the portal
    /// loads a page; one that loads none (stopped by the browser's own form validation)
    /// is given up on after [`NAVIGATION_WAIT`].
    async fn left(&self, page: &fantoccini::elements::Element) {
        let started = std::time::Instant::now();
        while started.elapsed() < NAVIGATION_WAIT {
            match page.tag_name().await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                // Stale: a new document is there (the driver waits for it to load).
                Err(_) => return,
            }
        }
    }

    async fn field(&self, label: &str) -> anyhow::Result<fantoccini::elements::Element> {
        let l = xpath_literal(&html::normalize(label));
        let label_xpath = format!(
            "//label[normalize-space(translate(., '{NO_BREAK}', '  '))={l} \
             or normalize-space(translate(., '{NO_BREAK}*:', '  '))={l}]"
        );
        if let Ok(label_el) = self.client.find(Locator::XPath(&label_xpath)).await {
            if let Some(id) = label_el.attr("for").await? {
                return Ok(self.client.find(Locator::Id(&id)).await?);
            }
            if let Ok(inner) = label_el.find(Locator::Css("input, select, textarea")).await {
                return Ok(inner);
            }
        }
        let aria = format!(
            "//*[self::input or self::select or self::textarea][normalize-space(@aria-label)={l}]"
        );
        self.client
            .find(Locator::XPath(&aria))
            .await
            .map_err(|_| anyhow::anyhow!("no field labelled {label:?} on this page"))
    }

    async fn fill(&mut self, label: &str, value: &str) -> anyhow::Result<()> {
        let el = self.field(label).await?;
        el.clear().await?;
        if value.chars().all(|c| (c as u32) <= 0xFFFF) {
            el.send_keys(value).await?;
        } else {
            // ChromeDriver can only type characters of the Basic Multilingual Plane; set
            // the value as a paste would.
            let el_json = serde_json::to_value(&el)?;
            self.client
                .execute(
                    "arguments[0].value = arguments[1]; \
                     arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                    vec![el_json, serde_json::Value::String(value.to_owned())],
                )
                .await?;
        }
        Ok(())
    }

    async fn text(&self) -> anyhow::Result<String> {
        let body = self.client.find(Locator::Css("body")).await?;
        Ok(html::normalize(&body.text().await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpath_literals_survive_both_quote_kinds() {
        assert_eq!(xpath_literal("Log in"), "'Log in'");
        assert_eq!(xpath_literal("Don't"), "\"Don't\"");
        assert_eq!(xpath_literal(r#"a'b"c"#), r#"concat('a', "'", 'b"c')"#);
    }
}
