//! The HTTP server answers only the Host names it is reached by without DNS (IP
//! literals and localhost on its port) or that it was given: a page rebinding its name
//! to 127.0.0.1 reads and deletes nothing. And the UI's security headers.

use std::net::SocketAddr;

use mailsink::SinkConfig;
use reqwest::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

async fn sink_with_one_message(config: SinkConfig) -> (mailsink::SinkHandle, String) {
    let sink = spawn_sink_with(config).await;
    let data = simple_message("bob@example.com", "Reset your password", "a secret link");
    assert_eq!(
        send_raw_mail(sink.smtp_addr(), "a@b.c", &["bob@example.com"], &data).await,
        250
    );
    let id = sink.wait_for("subject:reset", WAIT).await.unwrap().id;
    (sink, id)
}

/// `method path` sent to the sink with this Host header.
async fn with_host(
    sink: &mailsink::SinkHandle,
    method: Method,
    path: &str,
    host: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}{path}", sink.http_url()))
        .header(HOST, host)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn another_host_is_refused_everywhere_and_deletes_nothing() {
    let (sink, id) = sink_with_one_message(SinkConfig::ephemeral()).await;
    let rule = mailsink::NewFault::disconnect(mailsink::FaultStage::End, "to:nobody");
    sink.client().add_fault(&rule).await.unwrap();
    let port = sink.http_addr().port();
    let requests = [
        (Method::GET, "/api/v1/messages".to_owned()),
        (Method::GET, "/".to_owned()),
        (Method::GET, "/ui.js".to_owned()),
        (Method::DELETE, "/api/v1/messages".to_owned()),
        (Method::DELETE, "/api/v1/search?query=reset".to_owned()),
        (Method::GET, format!("/api/v1/message/{id}")),
        (Method::GET, "/api/v1/message/latest/raw".to_owned()),
        (Method::GET, "/api/v1/wait?query=reset".to_owned()),
        (Method::GET, "/api/v1/events".to_owned()),
        (Method::GET, format!("/view/{id}.html")),
        (Method::GET, format!("/view/{id}.txt")),
        (Method::GET, "/no/such/page".to_owned()),
        (Method::GET, "/api/v1/chaos".to_owned()),
        (Method::PUT, "/api/v1/chaos".to_owned()),
        (Method::GET, "/api/v1/faults".to_owned()),
        (Method::POST, "/api/v1/faults".to_owned()),
        (Method::DELETE, "/api/v1/faults".to_owned()),
        (Method::DELETE, "/api/v1/faults/1".to_owned()),
        (Method::GET, "/api/v1/sessions".to_owned()),
        (Method::GET, format!("/api/v1/message/{id}/session")),
    ];
    for host in [
        "evil.example".to_owned(),
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
    ] {
        for (method, path) in &requests {
            let resp = with_host(&sink, method.clone(), path, &host).await;
            assert_eq!(
                resp.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} Host: {host}"
            );
            assert_eq!(resp.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
            assert_eq!(resp.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
            let body = resp.text().await.unwrap();
            assert!(body.contains("is not allowed"), "{body}");
            assert!(!body.contains("secret"), "{body}");
        }
    }
    // Still there, and no rule was added or removed.
    assert_eq!(sink.client().faults().await.unwrap().len(), 1);
    let all = sink.search("").await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, id);
    sink.shutdown().await;
}

#[tokio::test]
async fn ip_literals_and_localhost_on_the_port_are_answered() {
    let (sink, _) = sink_with_one_message(SinkConfig::ephemeral()).await;
    let port = sink.http_addr().port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST.:{port}"),
        format!("[::1]:{port}"),
    ] {
        let resp = with_host(&sink, Method::GET, "/api/v1/messages", &host).await;
        assert_eq!(resp.status(), StatusCode::OK, "Host: {host}");
        let ui = with_host(&sink, Method::GET, "/", &host).await;
        assert_eq!(ui.status(), StatusCode::OK, "Host: {host}");
    }
    // The same names on another port are someone else.
    for host in [
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("localhost:{}", port.wrapping_add(1)),
    ] {
        let resp = with_host(&sink, Method::GET, "/api/v1/messages", &host).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "Host: {host}");
    }
    // The Rust client sends `127.0.0.1:PORT`.
    assert_eq!(sink.client().search("").await.unwrap().total, 1);
    sink.shutdown().await;
}

/// An HTTP/1.0 request may leave out Host; the sink refuses it, as no browser does that.
#[tokio::test]
async fn a_request_without_host_is_refused() {
    let (sink, _) = sink_with_one_message(SinkConfig::ephemeral()).await;
    let status = |addr: SocketAddr, request: &'static [u8]| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        String::from_utf8_lossy(&response)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let addr = sink.http_addr();
    assert_eq!(
        status(addr, b"GET /api/v1/messages HTTP/1.0\r\n\r\n").await,
        "HTTP/1.0 403 Forbidden"
    );
    assert_eq!(
        status(addr, b"DELETE /api/v1/messages HTTP/1.0\r\n\r\n").await,
        "HTTP/1.0 403 Forbidden"
    );
    // The authority of an absolute request-target counts as well.
    let absolute = format!(
        "GET http://evil.example/api/v1/messages HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let absolute: &'static [u8] = Box::leak(absolute.into_bytes().into_boxed_slice());
    assert_eq!(status(addr, absolute).await, "HTTP/1.1 403 Forbidden");
    assert_eq!(sink.search("").await.unwrap().len(), 1);
    sink.shutdown().await;
}

#[tokio::test]
async fn names_given_as_allowed_hosts_are_answered() {
    let (sink, _) = sink_with_one_message(SinkConfig {
        allowed_hosts: vec!["mail.test".into(), ".sinks.test".into()],
        ..SinkConfig::ephemeral()
    })
    .await;
    let port = sink.http_addr().port();
    for host in [
        "mail.test".to_owned(),
        format!("mail.test:{port}"),
        "Mail.Test:443".to_owned(),
        "a.sinks.test".to_owned(),
    ] {
        let resp = with_host(&sink, Method::GET, "/api/v1/messages", &host).await;
        assert_eq!(resp.status(), StatusCode::OK, "Host: {host}");
    }
    for host in ["other.test", "mail.test.evil.example", "evilsinks.test"] {
        let resp = with_host(&sink, Method::DELETE, "/api/v1/messages", host).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "Host: {host}");
    }
    assert_eq!(sink.search("").await.unwrap().len(), 1);
    sink.shutdown().await;

    // `*` turns the check off.
    let (sink, _) = sink_with_one_message(SinkConfig {
        allowed_hosts: vec!["*".into()],
        ..SinkConfig::ephemeral()
    })
    .await;
    let resp = with_host(&sink, Method::GET, "/api/v1/messages", "evil.example").await;
    assert_eq!(resp.status(), StatusCode::OK);
    sink.shutdown().await;

    // A malformed entry is a configuration error, not a silent hole.
    let err = mailsink::MailSink::start(SinkConfig {
        allowed_hosts: vec!["http://mail.test/".into()],
        ..SinkConfig::ephemeral()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not a host name"), "{err}");
}

#[tokio::test]
async fn the_ui_and_every_response_carry_security_headers() {
    let (sink, id) = sink_with_one_message(SinkConfig::ephemeral()).await;
    let base = sink.http_url();
    let get = |path: String| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.unwrap() }
    };

    let ui = get("/".into()).await;
    let csp = ui.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(ui.headers()[X_FRAME_OPTIONS], "DENY");
    assert_eq!(ui.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
    // Nothing inline, which the policy would block: the script and styles are files.
    let page = ui.text().await.unwrap();
    assert!(page.contains("<script src=\"/ui.js\""));
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/ui.css\">"));
    for inline in ["<script>", "<style", " style=", " onclick=", "javascript:"] {
        assert!(!page.contains(inline), "the UI has inline {inline}");
    }
    for (path, content_type) in [
        ("/ui.js", "text/javascript; charset=utf-8"),
        ("/ui.css", "text/css; charset=utf-8"),
    ] {
        let resp = get(path.into()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[CONTENT_TYPE], content_type, "{path}");
        assert_eq!(resp.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    }

    // The preview is framed by the UI only, and runs no script.
    let view = get(format!("/view/{id}.html")).await;
    assert_eq!(
        view.headers()[CONTENT_SECURITY_POLICY],
        "sandbox; frame-ancestors 'self'"
    );
    for path in [
        format!("/view/{id}.txt"),
        format!("/view/{id}.html"),
        "/api/v1/messages".into(),
        format!("/api/v1/message/{id}"),
        format!("/api/v1/message/{id}/raw"),
        "/api/v1/message/nope".into(),
    ] {
        let resp = get(path.clone()).await;
        assert_eq!(resp.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    }
    sink.shutdown().await;
}
