//! The SMTP side: protocol behaviour, limits, concurrency.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mailsink::SinkConfig;

use crate::helpers::*;

#[tokio::test]
async fn a_message_sent_with_lettre_is_captured_with_its_envelope() {
    let sink = spawn_sink().await;
    let msg = lettre::Message::builder()
        .from("Portal <noreply@portal.test>".parse::<Mailbox>().unwrap())
        .to("Alice <alice@example.com>".parse().unwrap())
        .subject("Restore your password")
        .body("Use http://127.0.0.1:8080/recover?token=xyz to restore.".to_owned())
        .unwrap();
    send_lettre(sink.smtp_addr(), msg).await;

    let got = sink
        .wait_for("to:alice@example.com subject:restore", WAIT)
        .await
        .unwrap();
    assert_eq!(got.subject, "Restore your password");
    assert_eq!(got.from.unwrap().address, "noreply@portal.test");
    assert_eq!(got.envelope.from, "noreply@portal.test");
    assert_eq!(got.envelope.to, vec!["alice@example.com"]);
    assert_eq!(
        got.links,
        vec!["http://127.0.0.1:8080/recover?token=xyz".to_owned()]
    );
    sink.shutdown().await;
}

#[tokio::test]
async fn bcc_recipients_exist_only_in_the_envelope() {
    let sink = spawn_sink().await;
    let msg = lettre::Message::builder()
        .from("a@example.com".parse::<Mailbox>().unwrap())
        .to("visible@example.com".parse().unwrap())
        .bcc("hidden@example.com".parse().unwrap())
        .subject("with bcc")
        .body("x".to_owned())
        .unwrap();
    send_lettre(sink.smtp_addr(), msg).await;

    let got = sink.wait_for("to:hidden@example.com", WAIT).await.unwrap();
    assert!(got.bcc.is_empty(), "no Bcc header is sent: {:?}", got.bcc);
    assert_eq!(got.to[0].address, "visible@example.com");
    assert!(got.envelope.to.contains(&"hidden@example.com".to_owned()));
    sink.shutdown().await;
}

#[tokio::test]
async fn auth_plain_and_login_are_accepted_with_any_credentials() {
    let sink = spawn_sink().await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    let ehlo = c.expect("EHLO client", 250).await;
    assert!(ehlo.contains("AUTH PLAIN LOGIN"), "{ehlo}");
    assert!(ehlo.contains("SIZE "), "{ehlo}");
    c.expect("AUTH PLAIN AGFueQBhbnl0aGluZw==", 235).await;
    c.expect("AUTH LOGIN", 334).await;
    c.expect("dXNlcg==", 334).await;
    c.expect("cGFzcw==", 235).await;
    c.expect("AUTH PLAIN", 334).await;
    c.expect("AGZvbwBiYXI=", 235).await;
    c.expect("AUTH CRAM-MD5", 504).await;
    let (code, _) = c
        .send_mail("a@b.c", &["d@e.f"], b"Subject: after auth\r\n\r\nhi\r\n")
        .await;
    assert_eq!(code, 250);

    // lettre with credentials works too.
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.smtp_addr().port())
        .credentials(Credentials::new("anyone".into(), "whatever".into()))
        .authentication(vec![Mechanism::Plain])
        .build();
    let msg = lettre::Message::builder()
        .from("a@example.com".parse::<Mailbox>().unwrap())
        .to("auth@example.com".parse().unwrap())
        .subject("lettre auth")
        .body("x".to_owned())
        .unwrap();
    transport.send(msg).await.unwrap();
    sink.wait_for("subject:\"lettre auth\"", WAIT)
        .await
        .unwrap();
    sink.shutdown().await;
}

#[tokio::test]
async fn null_sender_and_esmtp_parameters_are_accepted() {
    let sink = spawn_sink().await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.expect("MAIL FROM:<> SIZE=100 BODY=8BITMIME SMTPUTF8", 250)
        .await;
    c.expect("RCPT TO:<bounce@example.com> NOTIFY=NEVER", 250)
        .await;
    c.expect("DATA", 354).await;
    c.send_raw(b"Subject: bounce\r\n\r\nundeliverable\r\n.\r\n")
        .await;
    assert_eq!(c.reply().await.0, 250);
    let got = sink.wait_for("subject:bounce", WAIT).await.unwrap();
    assert_eq!(got.envelope.from, "");
    assert_eq!(got.envelope.to, vec!["bounce@example.com"]);
    sink.shutdown().await;
}

#[tokio::test]
async fn a_reused_connection_does_not_leak_the_previous_message() {
    let sink = spawn_sink().await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.send_mail(
        "a@x.y",
        &["first@x.y"],
        b"Subject: first\r\n\r\nbody one\r\n",
    )
    .await;
    // A transaction abandoned with RSET must not leak either.
    c.expect("MAIL FROM:<rset@x.y>", 250).await;
    c.expect("RCPT TO:<abandoned@x.y>", 250).await;
    c.expect("RSET", 250).await;
    c.send_mail(
        "b@x.y",
        &["second@x.y"],
        b"Subject: second\r\n\r\nbody two\r\n",
    )
    .await;

    let second = sink.wait_for("subject:second", WAIT).await.unwrap();
    assert_eq!(second.envelope.from, "b@x.y");
    assert_eq!(second.envelope.to, vec!["second@x.y"]);
    assert!(!second.text.contains("body one"), "{:?}", second.text);
    let first = sink.wait_for("subject:first", WAIT).await.unwrap();
    assert_eq!(first.envelope.to, vec!["first@x.y"]);
    assert_eq!(sink.search("").await.unwrap().len(), 2);
    sink.shutdown().await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused_with_552_and_not_stored() {
    let sink = spawn_sink_with(SinkConfig {
        max_message_bytes: 10_000,
        ..SinkConfig::ephemeral()
    })
    .await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    // Declared too big: refused at MAIL.
    c.expect("MAIL FROM:<a@b.c> SIZE=20000", 552).await;
    // Undeclared: refused after the data, which is read to the end.
    let mut big = b"Subject: too big\r\n\r\n".to_vec();
    for _ in 0..300 {
        big.extend_from_slice(&[b'x'; 70]);
        big.extend_from_slice(b"\r\n");
    }
    // One enormous line as well.
    big.extend_from_slice(&vec![b'y'; 50_000]);
    let (code, _) = c.send_mail("a@b.c", &["d@e.f"], &big).await;
    assert_eq!(code, 552);
    // The session is still in sync and usable.
    let (code, _) = c
        .send_mail("a@b.c", &["d@e.f"], b"Subject: small\r\n\r\nok\r\n")
        .await;
    assert_eq!(code, 250);
    sink.wait_for("subject:small", WAIT).await.unwrap();
    assert_eq!(sink.search("").await.unwrap().len(), 1);
    sink.shutdown().await;
}

#[tokio::test]
async fn recipients_over_the_cap_are_refused_with_452() {
    let sink = spawn_sink_with(SinkConfig {
        max_recipients: 3,
        ..SinkConfig::ephemeral()
    })
    .await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.expect("MAIL FROM:<a@b.c>", 250).await;
    for i in 0..3 {
        c.expect(&format!("RCPT TO:<r{i}@b.c>"), 250).await;
    }
    c.expect("RCPT TO:<r4@b.c>", 452).await;
    c.expect("DATA", 354).await;
    c.send_raw(b"Subject: capped\r\n\r\nx\r\n.\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    let got = sink.wait_for("subject:capped", WAIT).await.unwrap();
    assert_eq!(got.envelope.to.len(), 3);
    sink.shutdown().await;
}

#[tokio::test]
async fn bad_input_gets_errors_but_never_breaks_the_server() {
    let sink = spawn_sink().await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    assert_eq!(c.cmd("MAIL FROM:<early@x.y>").await.0, 503);
    c.expect("EHLO client", 250).await;
    assert_eq!(c.cmd("RCPT TO:<x@y.z>").await.0, 503);
    assert_eq!(c.cmd("DATA").await.0, 503);
    assert!(c.cmd("FOO bar").await.0 >= 500);
    assert_eq!(c.cmd(&"A".repeat(10_000)).await.0, 500);
    c.send_raw(b"\xff\xfe\x00\x01 binary junk\r\n").await;
    assert!(c.reply().await.0 >= 500);
    assert_eq!(c.cmd("MAIL FROM:<unterminated").await.0, 501);
    assert_eq!(c.cmd("STARTTLS").await.0, 502);
    c.expect("NOOP", 250).await;
    let (code, _) = c
        .send_mail("a@b.c", &["d@e.f"], b"Subject: still works\r\n\r\nok\r\n")
        .await;
    assert_eq!(code, 250);
    c.expect("QUIT", 221).await;

    // A client that vanishes mid-DATA does not store a half message.
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.expect("MAIL FROM:<a@b.c>", 250).await;
    c.expect("RCPT TO:<d@e.f>", 250).await;
    c.expect("DATA", 354).await;
    c.send_raw(b"Subject: half\r\n\r\npartial").await;
    drop(c);

    assert_eq!(
        send_raw_mail(
            sink.smtp_addr(),
            "a@b.c",
            &["d@e.f"],
            b"Subject: after\r\n\r\nx\r\n"
        )
        .await,
        250
    );
    sink.wait_for("subject:after", WAIT).await.unwrap();
    assert!(sink.search("subject:half").await.unwrap().is_empty());
    sink.shutdown().await;
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let sink = spawn_sink().await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.send_raw(b"MAIL FROM:<p@x.y>\r\nRCPT TO:<q@x.y>\r\nRCPT TO:<r@x.y>\r\nDATA\r\n")
        .await;
    for expected in [250, 250, 250, 354] {
        assert_eq!(c.reply().await.0, expected);
    }
    c.send_raw(b"Subject: piped\r\n\r\nx\r\n.\r\nQUIT\r\n")
        .await;
    assert_eq!(c.reply().await.0, 250);
    assert_eq!(c.reply().await.0, 221);
    let got = sink.wait_for("subject:piped", WAIT).await.unwrap();
    assert_eq!(got.envelope.to, vec!["q@x.y", "r@x.y"]);
    sink.shutdown().await;
}

#[tokio::test]
async fn a_hundred_concurrent_sessions_are_all_stored() {
    let sink = spawn_sink().await;
    // Connect them all first so they are truly open at the same time.
    let mut clients = Vec::new();
    for _ in 0..100 {
        let mut c = RawSmtp::connect(sink.smtp_addr()).await;
        c.expect("EHLO client", 250).await;
        clients.push(c);
    }
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            tokio::spawn(async move {
                let data = simple_message("many@example.com", &format!("concurrent {i}"), "x");
                let (code, _) = c.send_mail("a@b.c", &["many@example.com"], &data).await;
                assert_eq!(code, 250);
                c.expect("QUIT", 221).await;
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let all = sink.client().search("to:many@example.com").await.unwrap();
    assert_eq!(all.messages_count, 100);
    sink.shutdown().await;
}

#[tokio::test]
async fn an_idle_client_does_not_stall_others() {
    let sink = spawn_sink().await;
    // Idle connections (like a pooled lettre connection) just sit there.
    let mut idle = Vec::new();
    for _ in 0..70 {
        let mut c = RawSmtp::connect(sink.smtp_addr()).await;
        c.expect("EHLO idle", 250).await;
        idle.push(c);
    }
    let sent = tokio::time::timeout(
        Duration::from_secs(5),
        send_raw_mail(
            sink.smtp_addr(),
            "a@b.c",
            &["busy@example.com"],
            b"Subject: not stalled\r\n\r\nx\r\n",
        ),
    )
    .await
    .expect("not stalled by idle clients");
    assert_eq!(sent, 250);
    drop(idle);
    sink.shutdown().await;
}

#[tokio::test]
async fn shutdown_frees_both_ports() {
    let sink = spawn_sink().await;
    let (smtp, http) = (sink.smtp_addr(), sink.http_addr());
    let _open = RawSmtp::connect(smtp).await;
    sink.shutdown().await;
    std::net::TcpListener::bind(smtp).expect("SMTP port is free");
    std::net::TcpListener::bind(http).expect("HTTP port is free");
}

#[tokio::test]
async fn starttls_is_offered_with_a_certificate_and_mail_flows_over_it() {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let sink = spawn_sink_with(SinkConfig {
        tls_cert: Some(fixture_path("tls/cert.pem")),
        tls_key: Some(fixture_path("tls/key.pem")),
        ..SinkConfig::ephemeral()
    })
    .await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    let ehlo = c.expect("EHLO client", 250).await;
    assert!(ehlo.contains("STARTTLS"), "{ehlo}");
    drop(c);

    let root = Certificate::from_pem(&fixture("tls/cert.pem")).unwrap();
    let tls = TlsParameters::builder("localhost".to_owned())
        .add_root_certificate(root)
        .build_rustls()
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("localhost")
        .port(sink.smtp_addr().port())
        .tls(Tls::Required(tls))
        .credentials(Credentials::new("user".into(), "secret".into()))
        .timeout(Some(WAIT))
        .build();
    let msg = lettre::Message::builder()
        .from("a@example.com".parse::<Mailbox>().unwrap())
        .to("tls@example.com".parse().unwrap())
        .subject("over tls")
        .body("secret stuff".to_owned())
        .unwrap();
    transport.send(msg).await.unwrap();
    let got = sink.wait_for("to:tls@example.com", WAIT).await.unwrap();
    assert_eq!(got.subject, "over tls");
    sink.shutdown().await;
}
