//! The message checks: links against a local web server (200, 404, a redirect, a
//! server refusing HEAD, a closed port), and HTML/CSS support.

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use serde_json::Value;

use crate::helpers::*;

/// A web server on 127.0.0.1:0 with the answers the link check meets.
async fn web_server() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/moved", get(|| async { Redirect::to("/ok") }))
        .route(
            "/no-head",
            get(|method: Method| async move {
                if method == Method::HEAD {
                    StatusCode::METHOD_NOT_ALLOWED.into_response()
                } else {
                    "GET works".into_response()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn get_json(url: String) -> Value {
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    resp.json().await.unwrap()
}

/// The `(StatusCode, Status)` reported for each URL, in the message's order.
fn statuses(check: &Value) -> Vec<(String, u64, String)> {
    check["Links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["URL"].as_str().unwrap().to_owned(),
                l["StatusCode"].as_u64().unwrap(),
                l["Status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn link_check_reports_each_links_status_and_follows_redirects_on_request() {
    let web = web_server().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let sink = spawn_sink().await;
    let html = format!(
        "<p><a href=\"{web}/ok\">ok</a> <a href=\"{web}/missing\">gone</a> \
         <a href=\"{web}/moved\">moved</a> <a href=\"{web}/no-head\">no head</a> \
         <a href=\"http://{closed}/down\">down</a> <a href=\"mailto:x@example.com\">mail</a> \
         <a href=\"{tls}/ok\">tls</a></p>",
        tls = web.replace("http://", "https://")
    );
    let data = format!(
        "From: a@example.com\r\nTo: links@example.com\r\nSubject: links\r\n\
         Content-Type: text/html\r\n\r\n{html}\r\n"
    );
    send_raw_mail(
        sink.smtp_addr(),
        "a@example.com",
        &["links@example.com"],
        data.as_bytes(),
    )
    .await;
    let id = sink.wait_for("subject:links", WAIT).await.unwrap().id;

    let url = format!("{}/api/v1/message/{id}/link-check", sink.http_url());
    let check = get_json(url.clone()).await;
    let closed_url = format!("http://{closed}/down");
    let got = statuses(&check);
    assert_eq!(got.len(), 6, "{check}");
    assert_eq!(got[0], (format!("{web}/ok"), 200, "OK".into()));
    assert_eq!(got[1], (format!("{web}/missing"), 404, "Not Found".into()));
    assert_eq!(got[2], (format!("{web}/moved"), 303, "See Other".into()));
    assert_eq!(got[3], (format!("{web}/no-head"), 200, "OK".into()));
    assert_eq!((got[4].0.as_str(), got[4].1), (closed_url.as_str(), 0));
    assert!(!got[4].2.is_empty());
    // HTTPS to a plain HTTP server: the TLS handshake fails, with a reason.
    assert_eq!(got[5].1, 0, "{check}");
    assert_eq!(check["Errors"], 3);

    let followed = statuses(&get_json(format!("{url}?follow=true")).await);
    assert_eq!(followed[2], (format!("{web}/moved"), 200, "OK".into()));
    let not_followed = statuses(&get_json(format!("{url}?follow=false")).await);
    assert_eq!(not_followed[2].1, 303);

    let resp = reqwest::get(format!(
        "{}/api/v1/message/nope/link-check",
        sink.http_url()
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), 404);
    sink.shutdown().await;
}

#[tokio::test]
async fn html_check_reports_features_in_mailpits_shape() {
    let sink = spawn_sink().await;
    let data = "From: a@example.com\r\nTo: html@example.com\r\nSubject: styled\r\n\
        Content-Type: text/html\r\n\r\n<html><head><style>@media (max-width:600px){p{margin:0}}</style>\
        </head><body><div style=\"display:flex;border-radius:4px\">hi</div></body></html>\r\n";
    send_raw_mail(
        sink.smtp_addr(),
        "a@example.com",
        &["html@example.com"],
        data.as_bytes(),
    )
    .await;
    let id = sink.wait_for("subject:styled", WAIT).await.unwrap().id;
    let check = get_json(format!(
        "{}/api/v1/message/{id}/html-check",
        sink.http_url()
    ))
    .await;

    for key in ["Nodes", "Partial", "Supported", "Tests", "Unsupported"] {
        assert!(check["Total"][key].is_number(), "Total.{key}: {check}");
    }
    assert!(check["Platforms"]["ios"].as_array().unwrap().len() >= 2);
    let slugs: Vec<&str> = check["Warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["Slug"].as_str().unwrap())
        .collect();
    for slug in [
        "html-style",
        "css-at-media",
        "css-display-flex",
        "css-border-radius",
        "css-margin",
    ] {
        assert!(slugs.contains(&slug), "{slug} not in {slugs:?}");
    }
    let flex = check["Warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["Slug"] == "css-display-flex")
        .unwrap();
    for key in [
        "Category",
        "Description",
        "Keywords",
        "NotesByNumber",
        "Results",
        "Score",
        "Tags",
        "Title",
        "URL",
    ] {
        assert!(flex.get(key).is_some(), "warning lacks {key}: {flex}");
    }
    assert_eq!(flex["Score"]["Found"], 1);
    let outlook = flex["Results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Family"] == "outlook" && r["Platform"] == "windows")
        .unwrap();
    assert_eq!(outlook["Support"], "no");

    send_raw_mail(
        sink.smtp_addr(),
        "a@example.com",
        &["plain@example.com"],
        &simple_message("plain@example.com", "plain", "no html here"),
    )
    .await;
    let plain = sink.wait_for("subject:plain", WAIT).await.unwrap().id;
    let resp = reqwest::get(format!(
        "{}/api/v1/message/{plain}/html-check",
        sink.http_url()
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = reqwest::get(format!(
        "{}/api/v1/message/nope/html-check",
        sink.http_url()
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), 404);
    sink.shutdown().await;
}
