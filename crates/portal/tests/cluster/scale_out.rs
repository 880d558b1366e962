//! Several instances on one database: every instance serves every request, and the
//! shared outbox sends each email exactly once.

use std::collections::HashSet;
use std::time::Instant;

use futures::StreamExt as _;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

use crate::harness::*;

const RECOVERY_SUBJECT: &str = "Password recovery";
const CHANGED_SUBJECT: &str = "Your password was changed";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: cargo xtask ci runs it"]
async fn three_instances_send_exactly_one_recovery_email_per_request_for_a_known_address() {
    let started = Instant::now();
    let cluster = Cluster::options()
        .instances(3)
        // 1,000 requests from one client IP: lift the per-client limit.
        .env("PORTAL_RECOVERY_PER_IP_PER_HOUR", "1000000")
        .start()
        .await;
    let known: Vec<String> = (0..300)
        .map(|i| format!("known-{i}@cluster.test"))
        .collect();
    let unknown: Vec<String> = (0..700)
        .map(|i| format!("unknown-{i}@cluster.test"))
        .collect();
    cluster.seed_accounts(&known).await;

    // 1,000 requests, known and unknown interleaved, round-robin over the instances.
    let mut addresses: Vec<&String> = Vec::with_capacity(1000);
    let (mut k, mut u) = (known.iter(), unknown.iter());
    for i in 0..1000 {
        let next = if i % 10 < 3 { k.next() } else { u.next() };
        addresses.push(next.expect("300 + 700 addresses"));
    }
    let sent_at = Instant::now();
    let answers: Vec<(StatusCode, String)> = futures::stream::iter(addresses.iter().enumerate())
        .map(|(i, email)| cluster.portal(i % 3).request_recovery(email))
        .buffer_unordered(24)
        .collect()
        .await;
    let requests_took = sent_at.elapsed();
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::ACCEPTED));
    let bodies: HashSet<&String> = answers.iter().map(|(_, b)| b).collect();
    assert_eq!(bodies.len(), 1, "one neutral answer for every address");

    for email in &known {
        cluster.email(email, RECOVERY_SUBJECT).await;
    }
    let mail_took = sent_at.elapsed();
    cluster.outbox_settled().await;

    let messages = cluster.sink.search("").await.unwrap();
    assert_eq!(messages.len(), 300, "exactly 300 emails, no more");
    let recipients: HashSet<String> = messages
        .iter()
        .map(|m| {
            assert_eq!(m.to.len(), 1);
            assert_eq!(m.subject, RECOVERY_SUBJECT);
            m.to[0].address.to_lowercase()
        })
        .collect();
    assert_eq!(
        recipients,
        known.iter().cloned().collect::<HashSet<_>>(),
        "one email per known address, none to unknown ones"
    );
    let message_ids: HashSet<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(message_ids.len(), 300, "no Message-ID twice");
    let mut tokens = HashSet::new();
    for m in &messages {
        // Every instance builds links from the one public URL.
        let token = token_in(m, &format!("{PUBLIC_URL}/recover?token="));
        let owner: String = sqlx::query_scalar(
            "SELECT a.email FROM account_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND t.purpose = 'recovery' AND t.used_at IS NULL",
        )
        .bind(token_hash(&token))
        .fetch_one(cluster.store.pool())
        .await
        .expect("each emailed token is a live token of the recipient");
        assert_eq!(owner, m.to[0].address.to_lowercase());
        assert!(tokens.insert(token), "no token twice");
    }

    // Each request was handled once, by whichever instance took it.
    let audit = cluster.audit_counts().await;
    assert_eq!(audit.get("recovery_requested"), Some(&300), "{audit:?}");
    assert_eq!(
        audit.get("recovery_requested_unknown_address"),
        Some(&700),
        "{audit:?}"
    );
    assert_eq!(
        cluster
            .scalar("SELECT COUNT(*) FROM account_tokens WHERE purpose = 'recovery'")
            .await,
        300
    );
    let mut sent_by_instance = Vec::new();
    for p in &cluster.portals {
        sent_by_instance.push(
            p.metric("portal_mail_sent_total", Some(("kind", "recovery")))
                .await,
        );
    }
    assert_eq!(
        sent_by_instance.iter().sum::<f64>(),
        300.0,
        "the instances together sent 300: {sent_by_instance:?}"
    );
    eprintln!(
        "1,000 requests over 3 instances in {requests_took:?}; 300 emails in the sink after \
         {mail_took:?}; sent per instance {sent_by_instance:?}; whole test {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo xtask ci runs it"]
async fn a_session_made_on_one_instance_works_on_the_others() {
    let cluster = Cluster::options().instances(3).start().await;
    let email = "roaming@cluster.test";
    cluster.seed_accounts(&[email.to_owned()]).await;
    let (a, b, c) = (cluster.portal(0), cluster.portal(1), cluster.portal(2));

    // API: a bearer token from instance a is good on b and c, and a log-out on b ends
    // it everywhere.
    let bearer = a.bearer(email, PASSWORD).await;
    for p in [b, c] {
        let r = p.get_account(&bearer).await;
        assert_eq!(r.status(), StatusCode::OK, "on {}", p.name);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["email"], email);
    }
    let out = client()
        .delete(b.url("/api/v1/sessions/current"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    for p in [a, c] {
        assert_eq!(
            p.get_account(&bearer).await.status(),
            StatusCode::UNAUTHORIZED,
            "logged out on {}",
            p.name
        );
    }

    // HTML: the log-in form served by a is posted to b (every instance signs CSRF tokens
    // under the one server secret kept in the database), the account page opens on c,
    // and its log-out form is posted to a.
    let http = client();
    let form = http.get(a.url("/login")).send().await.unwrap();
    let pre_session = set_cookie(&form, "portal_csrf").expect("a CSRF cookie");
    let token = csrf_in(&form.text().await.unwrap());
    let login = http
        .post(b.url("/login"))
        .header(COOKIE, format!("portal_csrf={pre_session}"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&login, "portal_session").expect("a session cookie");
    let cookies = format!("portal_csrf={pre_session}; portal_session={session}");
    let page = http
        .get(c.url("/account"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains(email));
    let logout = http
        .post(a.url("/logout"))
        .header(COOKIE, &cookies)
        .form(&[("csrf_token", csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_redirection(), "{}", logout.status());
    let after = http
        .get(b.url("/account"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert!(after.status().is_redirection(), "{}", after.status());
    assert!(
        after.headers()[LOCATION]
            .to_str()
            .unwrap()
            .ends_with("/login")
    );
}

/// The value a response sets for cookie `name`.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The CSRF token of the first form in a page.
fn csrf_in(html: &str) -> String {
    let rest = html
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .expect("a form with a CSRF token");
    rest.split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo xtask ci runs it"]
async fn two_concurrent_completions_of_one_token_on_two_instances_let_exactly_one_through() {
    let cluster = Cluster::options().instances(2).start().await;
    let (a, b) = (cluster.portal(0), cluster.portal(1));
    let emails: Vec<String> = (0..5).map(|i| format!("race-{i}@cluster.test")).collect();
    cluster.seed_accounts(&emails).await;

    for (round, email) in emails.iter().enumerate() {
        let (status, _) = a.request_recovery(email).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let token = token_in(
            &cluster.email(email, RECOVERY_SUBJECT).await,
            "/recover?token=",
        );
        let pw_a = format!("{NEW_PASSWORD} from a {round}");
        let pw_b = format!("{NEW_PASSWORD} from b {round}");
        let (ra, rb) = tokio::join!(
            a.complete_recovery(&token, &pw_a),
            b.complete_recovery(&token, &pw_b)
        );
        let (sa, sb) = (ra.status(), rb.status());
        let winner = match (sa, sb) {
            (StatusCode::OK, StatusCode::BAD_REQUEST) => &pw_a,
            (StatusCode::BAD_REQUEST, StatusCode::OK) => &pw_b,
            other => panic!("round {round}: expected one 200 and one 400, got {other:?}"),
        };
        let loser = if winner == &pw_a { rb } else { ra };
        let problem: Value = loser.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_token");

        // The winner's password is the one in force, and the change was notified once.
        assert_eq!(b.log_in(email, winner).await.status(), StatusCode::CREATED);
        let other = if winner == &pw_a { &pw_b } else { &pw_a };
        assert_eq!(
            a.log_in(email, other).await.status(),
            StatusCode::UNAUTHORIZED
        );
        cluster.email(email, CHANGED_SUBJECT).await;
    }
    cluster.outbox_settled().await;
    for email in &emails {
        assert_eq!(cluster.emails(email, CHANGED_SUBJECT).await.len(), 1);
    }
    assert_eq!(
        cluster
            .scalar("SELECT COUNT(*) FROM audit_events WHERE event = 'recovery_completed'")
            .await,
        5
    );
}
