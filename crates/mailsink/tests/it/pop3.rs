//! POP3: Python's `poplib` as the mail client (UIDL stable across sessions, DELE then
//! QUIT, DELE then RSET, TOP, the auth file, STLS), and a line client for what poplib
//! cannot send (bad commands, long lines, byte-stuffing as sent, a dropped connection).

use std::net::SocketAddr;
use std::process::Command;

use mailsink::{SinkConfig, SinkHandle};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use crate::helpers::*;

/// A sink serving POP3 on 127.0.0.1:0.
async fn pop3_sink(config: SinkConfig) -> (SinkHandle, SocketAddr) {
    let sink = spawn_sink_with(SinkConfig {
        pop3_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        ..config
    })
    .await;
    let addr = sink.pop3_addr().expect("POP3 is on");
    (sink, addr)
}

/// Stores `n` messages (the second one has a body line starting with a dot) and
/// returns their IDs, oldest first.
async fn store_messages(sink: &SinkHandle, n: usize) -> Vec<String> {
    for i in 0..n {
        let body = if i == 1 {
            "first line\r\n.hidden line\r\nthird line".to_owned()
        } else {
            format!("body of {i}")
        };
        let data = simple_message("pop@example.com", &format!("pop message {i}"), &body);
        send_raw_mail(
            sink.smtp_addr(),
            "a@example.com",
            &["pop@example.com"],
            &data,
        )
        .await;
    }
    let listed = sink.search("").await.unwrap();
    assert_eq!(listed.len(), n);
    listed.into_iter().rev().map(|m| m.id).collect()
}

const CLIENT: &str = r#"
import json, poplib, ssl, sys
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def login(p, user="anyone", password="anything"):
    p.user(user)
    p.pass_(password)
    return p
def uidls(p):
    return [line.decode().split(" ", 1)[1] for line in p.uidl()[1]]
out = {}
if mode == "mailbox":
    p = login(poplib.POP3(host, port, timeout=10))
    out["capa"] = sorted(p.capa().keys())
    out["stat"] = list(p.stat())
    out["uidl1"] = uidls(p)
    out["list"] = [line.decode() for line in p.list()[1]]
    out["retr2"] = [line.decode() for line in p.retr(2)[1]]
    out["top2"] = [line.decode() for line in p.top(2, 1)[1]]
    p.quit()
    p = login(poplib.POP3(host, port, timeout=10))
    out["uidl2"] = uidls(p)
    p.dele(1)
    out["stat_after_dele"] = list(p.stat())
    p.rset()
    p.quit()
    p = login(poplib.POP3(host, port, timeout=10))
    out["uidl3"] = uidls(p)
    p.dele(2)
    p.quit()
    p = login(poplib.POP3(host, port, timeout=10))
    out["uidl4"] = uidls(p)
    p.quit()
elif mode == "auth":
    try:
        login(poplib.POP3(host, port, timeout=10), "alice", "wrong")
        out["wrong"] = "accepted"
    except poplib.error_proto as e:
        out["wrong"] = str(e)
    try:
        login(poplib.POP3(host, port, timeout=10), "mallory", "right")
        out["unknown"] = "accepted"
    except poplib.error_proto as e:
        out["unknown"] = str(e)
    p = login(poplib.POP3(host, port, timeout=10), "alice", "right")
    out["right"] = list(p.stat())
    p.quit()
elif mode == "stls":
    p = poplib.POP3(host, port, timeout=10)
    out["capa"] = sorted(p.capa().keys())
    p.stls(context=ssl.create_default_context(cafile=sys.argv[4]))
    login(p)
    out["capa_after"] = sorted(p.capa().keys())
    out["stat"] = list(p.stat())
    p.quit()
print(json.dumps(out))
"#;

/// Runs the poplib client in `mode`; `None` (with the reason printed) without python3.
async fn poplib(addr: SocketAddr, mode: &str, extra: &[&str]) -> Option<Value> {
    let mut args = vec![
        "-c".to_owned(),
        CLIENT.to_owned(),
        addr.ip().to_string(),
        addr.port().to_string(),
        mode.to_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let out = tokio::task::spawn_blocking(move || Command::new("python3").args(&args).output())
        .await
        .unwrap();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            eprintln!("SKIPPED: python3 is not available ({e}); poplib checks not run");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "poplib client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn strings(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap()
}

#[tokio::test]
async fn poplib_sees_a_stable_mailbox_and_dele_acts_at_quit_unless_rset() {
    let (sink, addr) = pop3_sink(SinkConfig::ephemeral()).await;
    let ids = store_messages(&sink, 3).await;
    let Some(out) = poplib(addr, "mailbox", &[]).await else {
        return;
    };
    assert_eq!(
        strings(&out["capa"]),
        ["IMPLEMENTATION", "TOP", "UIDL", "USER"]
    );
    assert_eq!(out["stat"][0], 3);
    // UIDL is the message ID, the same in the next session.
    assert_eq!(strings(&out["uidl1"]), ids);
    assert_eq!(strings(&out["uidl2"]), ids);
    assert_eq!(out["list"].as_array().unwrap().len(), 3);
    // poplib undoes the byte-stuffing: the line is as it was sent.
    let retr = strings(&out["retr2"]);
    assert!(retr.contains(&".hidden line".to_owned()), "{retr:?}");
    assert!(retr.contains(&"third line".to_owned()), "{retr:?}");
    // TOP 2 1: the headers, the blank line, one body line.
    let top = strings(&out["top2"]);
    assert_eq!(top.last().unwrap(), "first line", "{top:?}");
    assert!(top.iter().any(|l| l == "Subject: pop message 1"), "{top:?}");
    // DELE hides the message in its session; RSET brings it back, nothing is deleted.
    assert_eq!(out["stat_after_dele"][0], 2);
    assert_eq!(strings(&out["uidl3"]), ids);
    // DELE then QUIT deletes it from the sink.
    assert_eq!(strings(&out["uidl4"]), [ids[0].clone(), ids[2].clone()]);
    let left: Vec<String> = sink
        .search("")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert!(!left.contains(&ids[1]), "{left:?}");
    assert_eq!(left.len(), 2);
    sink.shutdown().await;
}

#[tokio::test]
async fn the_auth_file_refuses_a_wrong_password_and_an_unknown_user() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pop3-users");
    std::fs::write(&file, "# POP3 users\nalice:right\n").unwrap();
    let (sink, addr) = pop3_sink(SinkConfig {
        pop3_auth_file: Some(file),
        ..SinkConfig::ephemeral()
    })
    .await;
    store_messages(&sink, 1).await;
    let Some(out) = poplib(addr, "auth", &[]).await else {
        return;
    };
    assert!(
        out["wrong"].as_str().unwrap().starts_with("b'-ERR"),
        "{out}"
    );
    assert!(
        out["unknown"].as_str().unwrap().starts_with("b'-ERR"),
        "{out}"
    );
    assert_eq!(out["right"][0], 1);
    sink.shutdown().await;
}

#[tokio::test]
async fn stls_is_offered_with_a_certificate_and_the_session_goes_on_over_tls() {
    let (sink, addr) = pop3_sink(SinkConfig {
        tls_cert: Some(fixture_path("tls/cert.pem")),
        tls_key: Some(fixture_path("tls/key.pem")),
        ..SinkConfig::ephemeral()
    })
    .await;
    store_messages(&sink, 1).await;
    let cert = fixture_path("tls/cert.pem");
    let Some(out) = poplib(addr, "stls", &[cert.to_str().unwrap()]).await else {
        return;
    };
    assert!(strings(&out["capa"]).contains(&"STLS".to_owned()), "{out}");
    assert!(
        !strings(&out["capa_after"]).contains(&"STLS".to_owned()),
        "{out}"
    );
    assert_eq!(out["stat"][0], 1);
    sink.shutdown().await;
}

/// A POP3 client that sends lines as given.
struct Lines {
    reader: BufReader<TcpStream>,
}

impl Lines {
    async fn connect(addr: SocketAddr) -> Self {
        let mut c = Self {
            reader: BufReader::new(TcpStream::connect(addr).await.unwrap()),
        };
        assert!(c.line().await.starts_with("+OK"));
        c
    }
    async fn line(&mut self) -> String {
        let mut line = String::new();
        tokio::time::timeout(WAIT, self.reader.read_line(&mut line))
            .await
            .expect("answer in time")
            .unwrap();
        line
    }
    async fn cmd(&mut self, line: &str) -> String {
        self.reader
            .get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        self.line().await
    }
    /// The lines of a multi-line answer, as sent, up to the final `.`.
    async fn body(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.line().await;
            if l == ".\r\n" {
                return out;
            }
            out.push(l);
        }
    }
}

#[tokio::test]
async fn bad_commands_get_err_with_a_reason_and_lines_are_byte_stuffed() {
    let (sink, addr) = pop3_sink(SinkConfig::ephemeral()).await;
    let ids = store_messages(&sink, 2).await;
    let mut c = Lines::connect(addr).await;
    assert!(c.cmd("STAT").await.starts_with("-ERR log in first"));
    assert!(c.cmd("PASS nobody").await.starts_with("-ERR USER first"));
    assert!(
        c.cmd(&"X".repeat(5000))
            .await
            .starts_with("-ERR line too long")
    );
    assert!(c.cmd("FROB").await.starts_with("-ERR unknown command"));
    assert!(
        c.cmd("STLS")
            .await
            .starts_with("-ERR STLS is not available")
    );
    assert!(c.cmd("USER someone").await.starts_with("+OK"));
    assert!(c.cmd("PASS whatever").await.starts_with("+OK 2 messages"));
    assert!(c.cmd("RETR 3").await.starts_with("-ERR no such message"));
    assert!(c.cmd("RETR 0").await.starts_with("-ERR no such message"));
    assert!(
        c.cmd("RETR two")
            .await
            .starts_with("-ERR not a message number")
    );
    assert!(c.cmd("TOP 1").await.starts_with("-ERR TOP needs"));
    assert!(
        c.cmd("USER again")
            .await
            .starts_with("-ERR already logged in")
    );
    assert_eq!(c.cmd("UIDL 2").await, format!("+OK 2 {}\r\n", ids[1]));
    assert!(c.cmd("RETR 2").await.starts_with("+OK"));
    let lines = c.body().await;
    assert!(lines.contains(&"..hidden line\r\n".to_owned()), "{lines:?}");
    assert!(lines.iter().all(|l| l.ends_with("\r\n")));
    assert!(c.cmd("DELE 1").await.starts_with("+OK"));
    assert!(c.cmd("DELE 1").await.starts_with("-ERR message is deleted"));
    assert!(c.cmd("RETR 1").await.starts_with("-ERR message is deleted"));
    // A connection that drops without QUIT deletes nothing.
    drop(c);
    let mut c = Lines::connect(addr).await;
    c.cmd("USER someone").await;
    assert!(c.cmd("PASS whatever").await.starts_with("+OK 2 messages"));
    assert!(c.cmd("QUIT").await.starts_with("+OK"));
    assert_eq!(sink.search("").await.unwrap().len(), 2);
    sink.shutdown().await;
}
