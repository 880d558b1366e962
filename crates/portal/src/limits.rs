//! Rate limits: the one home of every budget the portal keeps (log-in failures, recovery
//! requests, sign-ups, token guesses), shared by the HTML pages, the API, the recovery
//! intake and the delivery worker.
//!
//! A budget is a [`Bucket`] (what is counted, for whom) under a [`Rule`] (how many per
//! window). State lives in the database (`rate_limits`), so every instance sees the same
//! counts. Buckets never name an address or account in clear: their keys are truncated
//! SHA-256 digests.
//!
//! The rule that matters most: an attempt is **taken** from its budget before the work
//! it guards (an Argon2 verification, a token lookup) and **given back** when it turns
//! out to be legitimate. Taking is one atomic upsert per bucket (`INSERT .. ON CONFLICT
//! DO UPDATE .. RETURNING hits`, a row lock on PostgreSQL, the single writer on SQLite),
//! so however many requests race, at most `max` of them get past a bucket per window.

use std::collections::HashMap;
use std::net::IpAddr;

use sha2::{Digest, Sha256};

use crate::store::{self, Tx};

/// 15 minutes: the window of log-in failures and token guesses.
pub const SHORT_WINDOW: i64 = 15 * 60;
/// One hour: the window of recovery requests and sign-ups.
pub const HOUR: i64 = 3600;

/// The client a request comes from, as rate limits see it: an IPv4 address, or the /64
/// network of an IPv6 address (one subscriber usually holds a whole /64 and can rotate
/// through it at will).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    /// The key of `ip` (IPv4-mapped IPv6 addresses count as their IPv4 address).
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None => {
                    let s = v6.segments();
                    Self(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
                }
            },
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What is counted, for whom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Failed log-ins (and wrong current passwords) for an address, from clients without
    /// a trusted device: by the address's lookup key.
    LoginAccount(String),
    /// Failed log-ins from a trusted device: by the device id (its own small budget).
    LoginDevice(String),
    /// Failed log-ins from one client.
    LoginClient(ClientKey),
    /// Recovery emails for one account: by account id.
    RecoveryAccount(String),
    /// Recovery requests from one client.
    RecoveryClient(ClientKey),
    /// "Someone tried to sign up with your address" emails to one address: by its lookup
    /// key.
    SignupAddress(String),
    /// Sign-ups from one client (each costs an Argon2 hash).
    SignupClient(ClientKey),
    /// Wrong recovery or confirmation tokens from one client.
    TokenGuessClient(ClientKey),
}

impl Bucket {
    fn kind(&self) -> &'static str {
        match self {
            Self::LoginAccount(_) => "login-account",
            Self::LoginDevice(_) => "login-device",
            Self::LoginClient(_) => "login-ip",
            Self::RecoveryAccount(_) => "recovery-account",
            Self::RecoveryClient(_) => "recovery-ip",
            Self::SignupAddress(_) => "signup-address",
            Self::SignupClient(_) => "signup-ip",
            Self::TokenGuessClient(_) => "token-ip",
        }
    }

    fn subject(&self) -> &str {
        match self {
            Self::LoginAccount(s)
            | Self::LoginDevice(s)
            | Self::RecoveryAccount(s)
            | Self::SignupAddress(s) => s,
            Self::LoginClient(c)
            | Self::RecoveryClient(c)
            | Self::SignupClient(c)
            | Self::TokenGuessClient(c) => c.as_str(),
        }
    }

    /// The row key: the kind and a digest of the subject (never the subject itself).
    pub fn key(&self) -> String {
        let digest = Sha256::digest(self.subject().as_bytes());
        format!("{}:{}", self.kind(), hex::encode(&digest[..12]))
    }
}

/// How many hits a bucket allows per fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Hits allowed per window.
    pub max: i64,
    /// Window length, seconds.
    pub window: i64,
}

/// The limits in force (from the configuration).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failed log-ins per address per 15 minutes, from untrusted clients.
    pub login_failures_per_account: u32,
    /// Failed log-ins per trusted device per 15 minutes.
    pub login_failures_per_device: u32,
    /// Failed log-ins per client per 15 minutes.
    pub login_failures_per_ip: u32,
    /// Recovery emails per account per hour.
    pub recovery_per_account_per_hour: u32,
    /// Recovery requests per client per hour.
    pub recovery_per_ip_per_hour: u32,
    /// Sign-up emails per address per hour.
    pub signup_emails_per_address_per_hour: u32,
    /// Sign-ups per client per hour.
    pub signups_per_ip_per_hour: u32,
    /// Wrong tokens per client per 15 minutes.
    pub token_guesses_per_ip: u32,
}

impl Limits {
    /// The rule of a bucket.
    pub fn rule(&self, bucket: &Bucket) -> Rule {
        let (max, window) = match bucket {
            Bucket::LoginAccount(_) => (self.login_failures_per_account, SHORT_WINDOW),
            Bucket::LoginDevice(_) => (self.login_failures_per_device, SHORT_WINDOW),
            Bucket::LoginClient(_) => (self.login_failures_per_ip, SHORT_WINDOW),
            Bucket::RecoveryAccount(_) => (self.recovery_per_account_per_hour, HOUR),
            Bucket::RecoveryClient(_) => (self.recovery_per_ip_per_hour, HOUR),
            Bucket::SignupAddress(_) => (self.signup_emails_per_address_per_hour, HOUR),
            Bucket::SignupClient(_) => (self.signups_per_ip_per_hour, HOUR),
            Bucket::TokenGuessClient(_) => (self.token_guesses_per_ip, SHORT_WINDOW),
        };
        Rule {
            max: i64::from(max),
            window,
        }
    }

    /// Takes one hit from each of `buckets`, atomically per bucket (one statement per
    /// window length, so a log-in's two buckets cost one write). If any of them is
    /// spent, every hit taken here is given back and the answer is `false`: nothing may
    /// be done. `true`: the caller may go on (and gives the hits back with
    /// [`Limits::give_back`] if the attempt turns out legitimate).
    pub async fn take(
        &self,
        db: &store::Store,
        buckets: &[Bucket],
        now: i64,
    ) -> sqlx::Result<bool> {
        let mut taken: Vec<Bucket> = Vec::new();
        for (window, group) in self.by_window(buckets) {
            let counts: Vec<(String, i64)> = group.iter().map(|b| (b.key(), 1)).collect();
            let hits: HashMap<String, i64> =
                store::rate_limit_add_many(db.pool(), &counts, now, window)
                    .await?
                    .into_iter()
                    .collect();
            taken.extend(group.iter().map(|b| (*b).clone()));
            // A bucket the database did not report counts as spent.
            let spent = group
                .iter()
                .any(|b| hits.get(&b.key()).copied().unwrap_or(i64::MAX) > self.rule(b).max);
            if spent {
                self.give_back(db, &taken, now).await?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Returns one hit to each bucket (an attempt that turned out legitimate), one
    /// statement per window length.
    pub async fn give_back(
        &self,
        db: &store::Store,
        buckets: &[Bucket],
        now: i64,
    ) -> sqlx::Result<()> {
        for (window, group) in self.by_window(buckets) {
            let keys: Vec<String> = group.iter().map(|b| b.key()).collect();
            store::rate_limit_give_back(db.pool(), &keys, now, window).await?;
        }
        Ok(())
    }

    /// `buckets` grouped by the length of their window, in order of first appearance.
    fn by_window<'b>(&self, buckets: &'b [Bucket]) -> Vec<(i64, Vec<&'b Bucket>)> {
        let mut groups: Vec<(i64, Vec<&Bucket>)> = Vec::new();
        for b in buckets {
            let window = self.rule(b).window;
            match groups.iter_mut().find(|(w, _)| *w == window) {
                Some((_, g)) => g.push(b),
                None => groups.push((window, vec![b])),
            }
        }
        groups
    }

    /// Counts a group of hits in one statement for all buckets (all of one kind), and
    /// says for each hit, in order, whether it is within its bucket's rule. `None` is a
    /// hit that counts nowhere (answered `false`). Used by the batched recovery intake
    /// and worker.
    pub async fn admit(
        &self,
        tx: &mut Tx,
        buckets: &[Option<Bucket>],
        now: i64,
    ) -> sqlx::Result<Vec<bool>> {
        let Some(rule) = buckets.iter().flatten().next().map(|b| self.rule(b)) else {
            return Ok(vec![false; buckets.len()]);
        };
        debug_assert!(
            buckets.iter().flatten().all(|b| self.rule(b) == rule),
            "one rule per batch"
        );
        let keys: Vec<Option<String>> = buckets
            .iter()
            .map(|b| b.as_ref().map(Bucket::key))
            .collect();
        let mut counts: Vec<(String, i64)> = Vec::new();
        let mut slot: HashMap<&str, usize> = HashMap::new();
        for k in keys.iter().flatten() {
            let i = *slot.entry(k).or_insert_with(|| {
                counts.push((k.clone(), 0));
                counts.len() - 1
            });
            counts[i].1 += 1;
        }
        let hits: HashMap<String, i64> =
            store::rate_limit_add_many(&mut **tx, &counts, now, rule.window)
                .await?
                .into_iter()
                .collect();
        let mut left: HashMap<&str, usize> = counts
            .iter()
            .map(|(k, n)| {
                // A bucket the database did not report admits nothing.
                let hits = hits.get(k).copied().unwrap_or(i64::MAX);
                (k.as_str(), within_limit(rule.max, hits, *n))
            })
            .collect();
        Ok(keys
            .iter()
            .map(|k| match k.as_deref().and_then(|k| left.get_mut(k)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            })
            .collect())
    }
}

/// How many of `n` hits just counted (window total now `hits`) fit under `limit`: the
/// k-th of them is the `(hits - n + k)`-th of the window.
fn within_limit(limit: i64, hits: i64, n: i64) -> usize {
    usize::try_from((limit - (hits - n)).clamp(0, n)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_cut_where_the_limit_falls() {
        // Nothing before, 3 arrive, limit 10: all pass.
        assert_eq!(within_limit(10, 3, 3), 3);
        // 8 before, 5 arrive, limit 10: the 9th and 10th pass.
        assert_eq!(within_limit(10, 13, 5), 2);
        // Already at the limit: none.
        assert_eq!(within_limit(10, 14, 4), 0);
        // Exactly reaching it: all.
        assert_eq!(within_limit(10, 10, 4), 4);
    }

    #[test]
    fn bucket_keys_do_not_contain_the_subject() {
        let b = Bucket::LoginAccount("alice@example.com".into()).key();
        assert!(!b.contains("alice"));
        assert!(b.starts_with("login-account:"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a = ClientKey::of("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = ClientKey::of("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap());
        let c = ClientKey::of("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str(), "2001:db8:1:2::/64");
        assert_eq!(
            ClientKey::of("::ffff:192.0.2.7".parse().unwrap()).as_str(),
            "192.0.2.7"
        );
        assert_eq!(
            ClientKey::of("192.0.2.7".parse().unwrap()).as_str(),
            "192.0.2.7"
        );
    }
}
