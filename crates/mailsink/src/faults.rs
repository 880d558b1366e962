//! Faults on demand: Mailpit's chaos triggers and our own fault rules, both decided
//! here and applied by the SMTP session (`smtp.rs`) at the stage they name.
//!
//! A rule is checked, oldest first, when the session reaches its stage with an envelope
//! its query matches (`CONNECT`: before the greeting, nothing known; `MAIL`: the sender;
//! `RCPT`: the sender and the recipient being added; `DATA` and `END`: the sender and
//! every accepted recipient). The first rule that is active (not used up, not expired)
//! and wins its probability roll applies, and counts one more `Applied`; a `delay` rule
//! applies at most once per session. Chaos triggers are checked after the rules, at
//! `MAIL` (Sender), `RCPT` (Recipient) and `AUTH` (Authentication), as Mailpit does.
//!
//! A rule never turns a refusal into a 250: `reply` codes are 400–599, so "stored
//! before 250" holds whatever rules are set.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::Rng as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{
    ChaosTrigger, ChaosTriggers, Envelope, FaultAction, FaultRule, FaultStage, NewFault,
};
use crate::query::{Field, Query};

/// Longest `DelayMs` (the session's own idle timeout is 300 s).
pub(crate) const MAX_DELAY_MS: u64 = 300_000;
/// Longest `ExpiresIn`.
const MAX_EXPIRES_IN: Duration = Duration::from_secs(30 * 24 * 3600);
/// Longest reply `Text`.
const MAX_TEXT: usize = 200;
/// Rules kept at once: each SMTP command may look at all of them.
const MAX_RULES: usize = 1000;

/// What a session does when a rule or trigger applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Answer this line (`code text`, no CRLF) instead.
    Reply { code: u16, text: String },
    /// Close the connection without a word.
    Disconnect,
    /// Hold each reply from now on.
    Delay(Duration),
}

/// An applied rule or trigger: what to do, and its ID for the session record
/// (`chaos:Sender` and so on for chaos triggers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub id: String,
    pub effect: Effect,
}

/// Which chaos trigger a step may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chaos {
    Sender,
    Recipient,
    Authentication,
}

impl Chaos {
    fn name(self) -> &'static str {
        match self {
            Self::Sender => "Sender",
            Self::Recipient => "Recipient",
            Self::Authentication => "Authentication",
        }
    }
}

struct Rule {
    id: String,
    spec: NewFault,
    query: Query,
    effect: Effect,
    probability: u8,
    created: String,
    expires: Option<(Instant, String)>,
    applied: u64,
}

impl Rule {
    fn used_up(&self) -> bool {
        self.spec.count.is_some_and(|c| self.applied >= c)
    }
    fn expired(&self, now: Instant) -> bool {
        self.expires.as_ref().is_some_and(|(at, _)| now >= *at)
    }
    fn to_api(&self, now: Instant) -> FaultRule {
        let status = if self.used_up() {
            "used up"
        } else if self.expired(now) {
            "expired"
        } else {
            "active"
        };
        let (code, text) = match &self.effect {
            Effect::Reply { code, text } => (Some(*code), Some(text.clone())),
            _ => (None, None),
        };
        FaultRule {
            id: self.id.clone(),
            query: self.spec.query.clone(),
            stage: self.spec.stage,
            action: self.spec.action,
            code,
            text,
            delay_ms: self.spec.delay_ms,
            count: self.spec.count,
            probability: self.probability,
            expires_in: self.spec.expires_in.clone(),
            created: self.created.clone(),
            expires: self.expires.as_ref().map(|(_, s)| s.clone()),
            applied: self.applied,
            active: status == "active",
            status: status.to_owned(),
        }
    }
}

#[derive(Default)]
struct Inner {
    rules: Vec<Rule>,
    next_id: u64,
    chaos: ChaosTriggers,
}

/// The fault rules and chaos triggers of one sink.
pub(crate) struct Faults {
    enabled: bool,
    /// Whether anything could apply: lets every SMTP command skip the lock when no
    /// rule is set and chaos is off.
    armed: AtomicBool,
    inner: Mutex<Inner>,
}

/// Rolls a 0–100 chance.
fn roll(probability: u8) -> bool {
    probability >= 100 || (probability > 0 && rand::rng().random_range(0..100u8) < probability)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Checks a posted rule and turns it into what the session applies.
fn validate(spec: &NewFault) -> Result<(Query, Effect, u8), String> {
    let query = Query::parse(&spec.query).map_err(|e| format!("Query: {e}"))?;
    for term in &query.terms {
        match term.field {
            Field::Cc | Field::Subject | Field::MessageId => {
                return Err(
                    "Query: a fault sees only the envelope; use to:, from: or plain words".into(),
                );
            }
            Field::To | Field::Bcc if spec.stage == FaultStage::Mail => {
                return Err("Query: at MAIL no recipient is known yet; use from:".into());
            }
            _ => {}
        }
    }
    if spec.stage == FaultStage::Connect && !query.is_empty() {
        return Err("Query: at CONNECT no address is known yet; leave it empty".into());
    }
    let probability = spec.probability.unwrap_or(100);
    if probability > 100 {
        return Err("Probability must be between 0 and 100".into());
    }
    if spec.count == Some(0) {
        return Err("Count must be at least 1 (leave it out for no limit)".into());
    }
    let reply_fields = spec.code.is_some() || spec.text.is_some();
    let effect = match spec.action {
        FaultAction::Reply => {
            if spec.delay_ms.is_some() {
                return Err("DelayMs goes with Action delay".into());
            }
            let code = spec.code.unwrap_or(451);
            if !(400..=599).contains(&code) {
                return Err("Code must be between 400 and 599".into());
            }
            let text = spec
                .text
                .clone()
                .unwrap_or_else(|| "Fault injected by mailsink".to_owned());
            if text.len() > MAX_TEXT || !text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
                return Err(format!(
                    "Text must be printable ASCII on one line, at most {MAX_TEXT} characters"
                ));
            }
            Effect::Reply { code, text }
        }
        FaultAction::Disconnect => {
            if reply_fields || spec.delay_ms.is_some() {
                return Err("Action disconnect takes no Code, Text or DelayMs".into());
            }
            Effect::Disconnect
        }
        FaultAction::Delay => {
            if reply_fields {
                return Err("Code and Text go with Action reply".into());
            }
            match spec.delay_ms {
                Some(ms) if (1..=MAX_DELAY_MS).contains(&ms) => {
                    Effect::Delay(Duration::from_millis(ms))
                }
                _ => {
                    return Err(format!(
                        "Action delay needs DelayMs between 1 and {MAX_DELAY_MS}"
                    ));
                }
            }
        }
    };
    Ok((query, effect, probability))
}

/// `ExpiresIn` as a duration: more than zero, at most 30 days.
pub(crate) fn parse_expires_in(s: &str) -> Result<Duration, String> {
    let d = crate::clock::parse_duration(s).map_err(|e| format!("ExpiresIn: {e}"))?;
    if d.is_zero() || d > MAX_EXPIRES_IN {
        return Err("ExpiresIn must be more than 0 and at most 30 days".into());
    }
    Ok(d)
}

/// Fills Mailpit's defaults in (an `ErrorCode` of 0) and checks the ranges, with
/// Mailpit's messages.
fn validate_chaos(mut c: ChaosTriggers) -> Result<ChaosTriggers, String> {
    let defaults = ChaosTriggers::default();
    for (t, d) in [
        (&mut c.sender, defaults.sender),
        (&mut c.recipient, defaults.recipient),
        (&mut c.authentication, defaults.authentication),
    ] {
        if t.error_code == 0 {
            t.error_code = d.error_code;
        }
        if !(400..=599).contains(&t.error_code) {
            return Err("error code must be between 400 and 599".into());
        }
        if t.probability > 100 {
            return Err("probability must be between 0 and 100".into());
        }
    }
    Ok(c)
}

impl Faults {
    /// `enabled: false` (`--no-faults`): the APIs answer 403 and nothing ever applies.
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            armed: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                next_id: 1,
                ..Inner::default()
            }),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether any rule or trigger could apply (cheap; no lock).
    pub(crate) fn armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rearm(&self, inner: &Inner) {
        let chaos = [
            inner.chaos.sender,
            inner.chaos.recipient,
            inner.chaos.authentication,
        ]
        .iter()
        .any(|t: &ChaosTrigger| t.probability > 0);
        self.armed
            .store(chaos || !inner.rules.is_empty(), Ordering::Relaxed);
    }

    /// Adds a rule; `Err` holds the reason for a 400.
    pub(crate) fn add(&self, spec: NewFault) -> Result<FaultRule, String> {
        let (query, effect, probability) = validate(&spec)?;
        let expires_in = spec
            .expires_in
            .as_deref()
            .map(parse_expires_in)
            .transpose()?;
        let now = Instant::now();
        let wall = crate::clock::now_utc();
        let mut inner = self.lock();
        if inner.rules.len() >= MAX_RULES {
            return Err(format!(
                "at most {MAX_RULES} rules; delete some first (DELETE /api/v1/faults)"
            ));
        }
        let id = inner.next_id.to_string();
        inner.next_id += 1;
        let rule = Rule {
            id,
            query,
            effect,
            probability,
            created: rfc3339(wall),
            expires: expires_in.map(|d| (now + d, rfc3339(wall + d))),
            applied: 0,
            spec,
        };
        let api = rule.to_api(now);
        inner.rules.push(rule);
        self.rearm(&inner);
        Ok(api)
    }

    /// Every rule, oldest first.
    pub(crate) fn list(&self) -> Vec<FaultRule> {
        let now = Instant::now();
        self.lock().rules.iter().map(|r| r.to_api(now)).collect()
    }

    /// Removes one rule; whether it existed.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let before = inner.rules.len();
        inner.rules.retain(|r| r.id != id);
        self.rearm(&inner);
        inner.rules.len() != before
    }

    /// Removes every rule (chaos triggers stay as they are).
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.rules.clear();
        self.rearm(&inner);
    }

    pub(crate) fn chaos_triggers(&self) -> ChaosTriggers {
        self.lock().chaos
    }

    /// Replaces the chaos triggers (omitted ones are reset to off).
    pub(crate) fn set_chaos(&self, triggers: ChaosTriggers) -> Result<ChaosTriggers, String> {
        let triggers = validate_chaos(triggers)?;
        let mut inner = self.lock();
        inner.chaos = triggers;
        self.rearm(&inner);
        Ok(triggers)
    }

    /// The rule that applies at `stage` for `envelope`, if any, counted as applied.
    /// `skip`: delay rules this session already applied.
    pub(crate) fn check(
        &self,
        stage: FaultStage,
        envelope: &Envelope,
        skip: &[String],
    ) -> Option<Applied> {
        if !self.armed() {
            return None;
        }
        self.check_at(stage, envelope, skip, Instant::now())
    }

    fn check_at(
        &self,
        stage: FaultStage,
        envelope: &Envelope,
        skip: &[String],
        now: Instant,
    ) -> Option<Applied> {
        let mut inner = self.lock();
        let rule = inner.rules.iter_mut().find(|rule| {
            rule.spec.stage == stage
                && !rule.used_up()
                && !rule.expired(now)
                && !skip.contains(&rule.id)
                && rule.query.matches_envelope(envelope)
                && roll(rule.probability)
        })?;
        rule.applied += 1;
        Some(Applied {
            id: rule.id.clone(),
            effect: rule.effect.clone(),
        })
    }

    /// Whether a chaos trigger fires (checked after the rules of the same step).
    pub(crate) fn chaos(&self, kind: Chaos) -> Option<Applied> {
        if !self.armed() {
            return None;
        }
        let triggers = self.lock().chaos;
        let trigger = match kind {
            Chaos::Sender => triggers.sender,
            Chaos::Recipient => triggers.recipient,
            Chaos::Authentication => triggers.authentication,
        };
        roll(trigger.probability).then(|| Applied {
            id: format!("chaos:{}", kind.name()),
            effect: Effect::Reply {
                code: trigger.error_code,
                text: format!("Chaos {} error", kind.name().to_ascii_lowercase()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(from: &str, to: &[&str]) -> Envelope {
        Envelope {
            from: from.into(),
            to: to.iter().map(|&t| t.to_owned()).collect(),
        }
    }

    fn faults_with(spec: NewFault) -> (Faults, String) {
        let f = Faults::new(true);
        let id = f.add(spec).unwrap().id;
        (f, id)
    }

    #[test]
    fn a_rule_applies_to_matching_mail_at_its_stage_only() {
        let (f, id) = faults_with(NewFault::reply(
            FaultStage::Rcpt,
            "to:alice@example.com",
            451,
            "try again later",
        ));
        let alice = env("a@b", &["alice@example.com"]);
        assert_eq!(f.check(FaultStage::Mail, &alice, &[]), None);
        assert_eq!(
            f.check(FaultStage::Rcpt, &env("a@b", &["bob@example.com"]), &[]),
            None
        );
        let applied = f.check(FaultStage::Rcpt, &alice, &[]).unwrap();
        assert_eq!(applied.id, id);
        assert_eq!(
            applied.effect,
            Effect::Reply {
                code: 451,
                text: "try again later".into()
            }
        );
        assert_eq!(f.list()[0].applied, 1);
    }

    #[test]
    fn a_count_runs_out_and_the_list_says_so() {
        let (f, _) = faults_with(NewFault::disconnect(FaultStage::End, "").count(2));
        let e = env("a@b", &["c@d"]);
        assert!(f.check(FaultStage::End, &e, &[]).is_some());
        assert_eq!(f.list()[0].status, "active");
        assert!(f.check(FaultStage::End, &e, &[]).is_some());
        assert!(f.check(FaultStage::End, &e, &[]).is_none());
        let listed = &f.list()[0];
        assert_eq!((listed.applied, listed.active), (2, false));
        assert_eq!(listed.status, "used up");
    }

    #[test]
    fn an_expired_rule_stops_applying() {
        let (f, _) = faults_with(NewFault {
            expires_in: Some("10m".into()),
            ..NewFault::reply(FaultStage::Data, "", 452, "later")
        });
        let e = env("a@b", &["c@d"]);
        let later = Instant::now() + Duration::from_secs(601);
        assert!(f.check(FaultStage::Data, &e, &[]).is_some());
        assert!(f.check_at(FaultStage::Data, &e, &[], later).is_none());
        assert!(f.list()[0].expires.is_some());
    }

    #[test]
    fn probability_zero_never_applies_and_a_hundred_always_does() {
        let f = Faults::new(true);
        f.add(NewFault {
            probability: Some(0),
            ..NewFault::reply(FaultStage::Mail, "", 450, "never")
        })
        .unwrap();
        let e = env("a@b", &[]);
        for _ in 0..200 {
            assert!(f.check(FaultStage::Mail, &e, &[]).is_none());
        }
        f.add(NewFault {
            probability: Some(100),
            ..NewFault::reply(FaultStage::Mail, "", 451, "always")
        })
        .unwrap();
        for _ in 0..200 {
            assert_eq!(f.check(FaultStage::Mail, &e, &[]).unwrap().id, "2");
        }
        assert_eq!(f.list()[0].applied, 0);
    }

    #[test]
    fn chaos_fires_after_the_rules_with_mailpits_text() {
        let f = Faults::new(true);
        assert!(!f.armed());
        let set = f
            .set_chaos(ChaosTriggers {
                recipient: ChaosTrigger {
                    error_code: 0,
                    probability: 100,
                },
                ..ChaosTriggers::default()
            })
            .unwrap();
        assert_eq!(set.recipient.error_code, 451);
        assert!(f.armed());
        assert!(f.check(FaultStage::Rcpt, &env("a", &["b"]), &[]).is_none());
        let applied = f.chaos(Chaos::Recipient).unwrap();
        assert_eq!(applied.id, "chaos:Recipient");
        assert_eq!(
            applied.effect,
            Effect::Reply {
                code: 451,
                text: "Chaos recipient error".into()
            }
        );
        assert!(f.chaos(Chaos::Sender).is_none());
        let bad = ChaosTriggers {
            sender: ChaosTrigger {
                error_code: 250,
                probability: 1,
            },
            ..ChaosTriggers::default()
        };
        assert!(f.set_chaos(bad).is_err());
        let too_likely = ChaosTriggers {
            authentication: ChaosTrigger {
                error_code: 535,
                probability: 101,
            },
            ..ChaosTriggers::default()
        };
        assert!(f.set_chaos(too_likely).is_err());
        f.set_chaos(ChaosTriggers::default()).unwrap();
        assert!(!f.armed());
    }

    #[test]
    fn delay_rules_are_skipped_once_applied_in_the_session() {
        let (f, id) = faults_with(NewFault::delay(FaultStage::Rcpt, "", 5));
        let e = env("a", &["b"]);
        let applied = f.check(FaultStage::Rcpt, &e, &[]).unwrap();
        assert_eq!(applied.effect, Effect::Delay(Duration::from_millis(5)));
        assert!(f.check(FaultStage::Rcpt, &e, &[id]).is_none());
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        let f = Faults::new(true);
        let refused = |spec: NewFault| f.add(spec).unwrap_err();
        let reply = NewFault::reply(FaultStage::Rcpt, "", 451, "x");
        assert!(
            refused(NewFault {
                code: Some(250),
                ..reply.clone()
            })
            .contains("Code")
        );
        assert!(
            refused(NewFault {
                text: Some("a\r\n250 ok".into()),
                ..reply.clone()
            })
            .contains("Text")
        );
        assert!(refused(reply.clone().count(0)).contains("Count"));
        assert!(
            refused(NewFault {
                probability: Some(101),
                ..reply.clone()
            })
            .contains("Probability")
        );
        for expires in ["0s", "soon", "31days", "-1"] {
            assert!(
                refused(NewFault {
                    expires_in: Some(expires.into()),
                    ..reply.clone()
                })
                .contains("ExpiresIn"),
                "{expires}"
            );
        }
        assert!(
            refused(NewFault::reply(FaultStage::Rcpt, "subject:x", 451, "x")).contains("envelope")
        );
        assert!(refused(NewFault::reply(FaultStage::Mail, "to:x", 451, "x")).contains("MAIL"));
        assert!(
            refused(NewFault::reply(FaultStage::Connect, "from:x", 451, "x")).contains("CONNECT")
        );
        assert!(refused(NewFault::reply(FaultStage::Rcpt, "to:", 451, "x")).contains("Query"));
        assert!(refused(NewFault::delay(FaultStage::Rcpt, "", 0)).contains("DelayMs"));
        assert!(
            refused(NewFault::delay(FaultStage::Rcpt, "", MAX_DELAY_MS + 1)).contains("DelayMs")
        );
        assert!(
            refused(NewFault {
                code: Some(451),
                ..NewFault::disconnect(FaultStage::End, "")
            })
            .contains("disconnect")
        );
        assert!(f.list().is_empty());
        assert!(!f.armed());
    }

    #[test]
    fn rules_are_removed_one_by_one_or_all() {
        let f = Faults::new(true);
        let a = f
            .add(NewFault::disconnect(FaultStage::Connect, ""))
            .unwrap();
        f.add(NewFault::disconnect(FaultStage::End, "")).unwrap();
        assert!(f.remove(&a.id));
        assert!(!f.remove(&a.id));
        assert_eq!(f.list().len(), 1);
        f.clear();
        assert!(f.list().is_empty() && !f.armed());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{config, hostile_text};

        // Per field: mostly values it takes, and the edges either side.
        const CODES: &[&str] = &[
            "400", "421", "451", "550", "599", "399", "600", "100", "0", "65536", "null",
        ];
        const DELAYS: &[&str] = &["1", "5", "300000", "300001", "0", "-1", "1.5", "null"];
        const COUNTS: &[&str] = &["1", "2", "0", "18446744073709551615", "-1", "null"];
        const PROBABILITIES: &[&str] = &["0", "1", "50", "100", "101", "255", "256", "null"];
        const STAGES: &[&str] = &[
            "\"CONNECT\"",
            "\"MAIL\"",
            "\"RCPT\"",
            "\"DATA\"",
            "\"END\"",
            "\"RCPT\"",
            "\"END\"",
            "\"rcpt\"",
            "null",
        ];
        const ACTIONS: &[&str] = &[
            "\"reply\"",
            "\"reply\"",
            "\"disconnect\"",
            "\"delay\"",
            "\"delay\"",
            "\"Reply\"",
        ];
        const QUERIES: &[&str] = &[
            "\"\"",
            "\"to:a@b\"",
            "\"from:x\"",
            "\"bcc:x\"",
            "\"subject:x\"",
            "\"to:\"",
            "\"-to:a\"",
            "\"word\"",
            "\"\\\"open\"",
            "\"cc:x\"",
        ];
        const TEXTS: &[&str] = &[
            "\"try again\"",
            "\"\"",
            "\"a\\r\\n250 ok\"",
            "\"é\"",
            "\"\\u0000\"",
            "\"4.3.0 later\"",
            "\"~\"",
        ];
        const DURATIONS: &[&str] = &[
            "\"10m\"",
            "\"0s\"",
            "\"1e400\"",
            "\"31days\"",
            "\"99999999999999999999h\"",
            "\"500ms\"",
            "\"-1\"",
            "\"soon\"",
            "\"30days\"",
            "5",
        ];

        /// `"Name":value`, or nothing.
        /// `"Name":value` with the probability `present`, or nothing.
        fn field_p(
            name: &'static str,
            values: &'static [&'static str],
            present: f64,
        ) -> BoxedStrategy<Option<String>> {
            prop::option::weighted(present, prop::sample::select(values))
                .prop_map(move |v| v.map(|v| format!("\"{name}\":{v}")))
                .boxed()
        }

        fn field(
            name: &'static str,
            values: &'static [&'static str],
        ) -> BoxedStrategy<Option<String>> {
            field_p(name, values, 0.5)
        }

        fn object(fields: Vec<Option<String>>) -> String {
            format!(
                "{{{}}}",
                fields.into_iter().flatten().collect::<Vec<_>>().join(",")
            )
        }

        /// Rule objects built from the real fields with values at and past their
        /// edges (most are refused, many are not), and arbitrary text.
        fn rule_json() -> impl Strategy<Value = String> {
            let fields = (
                field("Query", QUERIES),
                field_p("Stage", STAGES, 0.95),
                field_p("Action", ACTIONS, 0.95),
                field_p("Code", CODES, 0.3),
                field_p("Text", TEXTS, 0.3),
                field_p("DelayMs", DELAYS, 0.3),
                field("Count", COUNTS),
                field("Probability", PROBABILITIES),
                field("ExpiresIn", DURATIONS),
                // Unknown fields only ever make a 400: rare.
                field_p("Extra", COUNTS, 0.05),
            )
                .prop_map(|(a, b, c, d, e, f, g, h, i, j)| {
                    object(vec![a, b, c, d, e, f, g, h, i, j])
                });
            prop_oneof![
                6 => fields,
                1 => hostile_text(&["{", "}", "\"Stage\":", "\"RCPT\"", ",", "\""], 12),
            ]
        }

        fn trigger_json() -> impl Strategy<Value = Option<String>> {
            prop::option::of((
                field("ErrorCode", CODES),
                field("Probability", PROBABILITIES),
            ))
            .prop_map(|t| t.map(|(code, p)| object(vec![code, p])))
        }

        fn chaos_json() -> impl Strategy<Value = String> {
            (trigger_json(), trigger_json(), trigger_json()).prop_map(|(s, r, a)| {
                let named = |name: &str, t: Option<String>| t.map(|t| format!("\"{name}\":{t}"));
                object(vec![
                    named("Sender", s),
                    named("Recipient", r),
                    named("Authentication", a),
                ])
            })
        }

        const DURATION_VOCAB: &[&str] = &[
            "0",
            "1",
            "9",
            ".",
            "-",
            "e",
            "400",
            "ms",
            "s",
            "m",
            "h",
            "d",
            "days",
            "w",
            "y",
            " ",
            "99999999999999999999",
            "NaN",
            "inf",
            "é",
        ];

        proptest! {
            #![proptest_config(config(1024))]

            /// Any rule JSON is either refused with a reason or added as a rule that
            /// keeps every documented bound; applying it never panics.
            #[test]
            fn any_rule_json_is_added_within_bounds_or_refused(body in rule_json()) {
                let f = Faults::new(true);
                let Ok(spec) = serde_json::from_str::<NewFault>(&body) else {
                    return Ok(());
                };
                match f.add(spec.clone()) {
                    Ok(rule) => {
                        prop_assert_eq!((rule.applied, rule.active), (0, true));
                        prop_assert!(rule.probability <= 100);
                        prop_assert!(rule.count.is_none_or(|c| c >= 1));
                        match rule.action {
                            FaultAction::Reply => {
                                prop_assert!(rule.code.is_some_and(|c| (400..=599).contains(&c)));
                                let text = rule.text.clone().unwrap_or_default();
                                prop_assert!(text.len() <= MAX_TEXT && text.bytes().all(|b| (b' '..=b'~').contains(&b)), "{text:?}");
                                prop_assert!(rule.delay_ms.is_none());
                            }
                            FaultAction::Delay => {
                                prop_assert!(rule.delay_ms.is_some_and(|d| (1..=MAX_DELAY_MS).contains(&d)));
                                prop_assert!(rule.code.is_none() && rule.text.is_none());
                            }
                            FaultAction::Disconnect => {
                                prop_assert!(rule.code.is_none() && rule.text.is_none() && rule.delay_ms.is_none());
                            }
                        }
                        prop_assert_eq!(rule.expires.is_some(), rule.expires_in.is_some());
                        prop_assert_eq!(f.list(), vec![rule]);
                        for stage in [FaultStage::Connect, FaultStage::Mail, FaultStage::Rcpt, FaultStage::Data, FaultStage::End] {
                            let _ = f.check(stage, &env("x@b", &["a@b", "x@y"]), &[]);
                        }
                    }
                    Err(reason) => {
                        prop_assert!(!reason.is_empty());
                        prop_assert!(f.list().is_empty());
                    }
                }
            }

            #[test]
            fn any_expires_in_is_bounded_or_refused(s in hostile_text(DURATION_VOCAB, 8)) {
                if let Ok(d) = parse_expires_in(&s) {
                    prop_assert!(!d.is_zero() && d <= MAX_EXPIRES_IN);
                }
            }

            /// Chaos triggers are set only when every one is in range, as in Mailpit.
            #[test]
            fn chaos_json_is_set_only_within_range(body in chaos_json()) {
                let f = Faults::new(true);
                let Ok(t) = serde_json::from_str::<ChaosTriggers>(&body) else {
                    return Ok(());
                };
                let valid = [t.sender, t.recipient, t.authentication].iter().all(|t| {
                    (t.error_code == 0 || (400..=599).contains(&t.error_code)) && t.probability <= 100
                });
                let set = f.set_chaos(t);
                prop_assert_eq!(set.is_ok(), valid, "{}", body);
                if let Ok(set) = set {
                    prop_assert_eq!(f.chaos_triggers(), set);
                    for t in [set.sender, set.recipient, set.authentication] {
                        prop_assert!((400..=599).contains(&t.error_code) && t.probability <= 100);
                    }
                    let _ = f.chaos(Chaos::Authentication);
                }
            }
        }
    }
}
