//! "A recovery request takes the same time for a known and an unknown address",
//! measured: the recovery form is sent for the account's address and for one without an
//! account, in interleaved pairs (which goes first is drawn per pair, so drift hits both
//! alike) over one kept-alive connection; the figure is the difference of the medians
//! with its 95% bootstrap interval ([`crate::stats`]).
//!
//! Over `http://` each sample is the time to the answer's first byte, as an attacker
//! would take it: a server that writes its headers in pieces without `TCP_NODELAY`
//! (Python's `wsgiref`, under Django's `runserver`) otherwise holds every answer for
//! the client's delayed ACK (about 40 ms here), which hides a gap of a few ms entirely.
//! Over `https://` the whole answer is timed through the suite's HTTP client.
//!
//! Decision rule: the scenario fails when the whole interval lies beyond the profile's
//! `timing.threshold_ms` (its lower bound above `+threshold`, or its upper bound below
//! `-threshold`): only a gap the measurement is sure of, and larger than the tolerance,
//! counts as a leak.

use std::time::Instant;

use anyhow::{Context as _, bail, ensure};
use htmlform::Submission;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::stats::{bootstrap_median_diff, percentile};

/// Bootstrap resamples for the interval.
const ROUNDS: usize = 2000;

/// What one timing measurement found.
#[derive(Debug, Clone, PartialEq)]
pub struct TimingFigures {
    /// What was measured.
    pub what: String,
    /// Pairs counted.
    pub pairs: usize,
    /// Median answer time for the known address, ms.
    pub known_ms: f64,
    /// Median answer time for the unknown address, ms.
    pub unknown_ms: f64,
    /// `known_ms - unknown_ms`.
    pub diff_ms: f64,
    /// The 95% bootstrap interval of the difference, ms.
    pub ci_ms: (f64, f64),
    /// The profile's tolerance, ms.
    pub threshold_ms: f64,
}

impl TimingFigures {
    /// The figures of `known` and `unknown` samples (ms).
    pub fn of(what: &str, known: &[f64], unknown: &[f64], threshold_ms: f64) -> Self {
        let (known_ms, unknown_ms) = (percentile(known, 50.0), percentile(unknown, 50.0));
        Self {
            what: what.to_owned(),
            pairs: known.len().min(unknown.len()),
            known_ms,
            unknown_ms,
            diff_ms: known_ms - unknown_ms,
            ci_ms: bootstrap_median_diff(known, unknown, ROUNDS),
            threshold_ms,
        }
    }

    /// Whether the gap is a leak: the whole interval beyond ±threshold.
    pub fn leaks(&self) -> bool {
        let (lo, hi) = self.ci_ms;
        lo > self.threshold_ms || hi < -self.threshold_ms
    }
}

impl std::fmt::Display for TimingFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: median known − unknown {:+.3} ms (95% CI [{:+.3}, {:+.3}]) over {} pairs; \
             known {:.3} ms, unknown {:.3} ms; threshold {} ms",
            self.what,
            self.diff_ms,
            self.ci_ms.0,
            self.ci_ms.1,
            self.pairs,
            self.known_ms,
            self.unknown_ms,
            self.threshold_ms
        )
    }
}

/// Sends `form` (the recovery form as planned with `known` typed in) `warm_up + pairs`
/// times for each address, interleaved, over one kept-alive connection with the
/// browser's cookies; returns the answer times in ms for (known, unknown), warm-up left
/// out.
pub async fn measure(
    browser: &htmlform::Browser,
    form: &Submission,
    known: &str,
    unknown: &str,
    pairs: usize,
    warm_up: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let with = |address: &str| {
        let mut s = form.clone();
        for (_, v) in &mut s.fields {
            if v == known {
                address.clone_into(v);
            }
        }
        s
    };
    let (for_known, for_unknown) = (with(known), with(unknown));
    if for_unknown.fields == for_known.fields {
        bail!("the recovery form does not carry the address typed into it");
    }
    let cookies = browser.cookie_header(form.url.as_str());
    let mut raw = match form.url.scheme() {
        "http" => Some(RawClient::new(&form.url, cookies.as_deref())?),
        _ => None,
    };
    let (mut k, mut u) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    for i in 0..warm_up + pairs {
        let known_first = rand::random::<bool>();
        for known_now in [known_first, !known_first] {
            let submission = if known_now { &for_known } else { &for_unknown };
            let (ms, status) = match &mut raw {
                Some(raw) => raw.send(submission).await?,
                None => {
                    let t = Instant::now();
                    let page = browser
                        .send(submission.clone())
                        .await
                        .context("sending the recovery form")?;
                    (t.elapsed().as_secs_f64() * 1000.0, page.status.as_u16())
                }
            };
            if status >= 400 {
                bail!(
                    "the recovery form was answered {status} on request {} (a rate limit? \
                     raise it for this run)",
                    2 * i + 1
                );
            }
            if i >= warm_up {
                if known_now { &mut k } else { &mut u }.push(ms);
            }
        }
    }
    Ok((k, u))
}

/// One kept-alive HTTP/1.1 connection that times each answer to its first byte.
struct RawClient {
    address: String,
    host: String,
    cookies: Option<String>,
    stream: Option<TcpStream>,
}

impl RawClient {
    fn new(url: &url::Url, cookies: Option<&str>) -> anyhow::Result<Self> {
        let host = url.host_str().context("the form's URL has no host")?;
        let port = url.port_or_known_default().unwrap_or(80);
        Ok(Self {
            address: format!("{host}:{port}"),
            host: match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_owned(),
            },
            cookies: cookies.map(str::to_owned),
            stream: None,
        })
    }

    /// Posts `s`; the time to the answer's first byte (ms) and its status. The whole
    /// answer is read before the next request.
    async fn send(&mut self, s: &Submission) -> anyhow::Result<(f64, u16)> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&s.fields)
            .finish();
        let path = match s.url.query() {
            Some(q) => format!("{}?{q}", s.url.path()),
            None => s.url.path().to_owned(),
        };
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: \
             application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        if let Some(c) = &self.cookies {
            request.push_str(&format!("Cookie: {c}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(&self.address)
                    .await
                    .with_context(|| format!("connecting to {}", self.address))?;
                s.set_nodelay(true)?;
                self.stream.insert(s)
            }
        };
        let t = Instant::now();
        stream.write_all(request.as_bytes()).await?;
        let mut buf = vec![0u8; 1];
        if stream.read(&mut buf).await? == 0 {
            bail!("the target closed the connection without an answer");
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let (status, close) = read_answer(stream, buf).await?;
        if close {
            self.stream = None;
        }
        Ok((ms, status))
    }
}

/// Reads the rest of an answer that began with `buf`: its status, and whether the
/// server closes the connection after it.
async fn read_answer(stream: &mut TcpStream, mut buf: Vec<u8>) -> anyhow::Result<(u16, bool)> {
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await?;
        ensure!(n > 0, "the answer ended inside its headers");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("an answer without a status")?;
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    let close = header("connection:").is_some_and(|v| v.contains("close"));
    let mut body = buf.split_off(end);
    if let Some(len) = header("content-length:").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < len {
            let n = stream.read(&mut chunk).await?;
            ensure!(n > 0, "the answer ended inside its body");
            body.extend_from_slice(&chunk[..n]);
        }
    } else if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        while !body.ends_with(b"0\r\n\r\n") {
            let n = stream.read(&mut chunk).await?;
            ensure!(n > 0, "the answer ended inside its body");
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        // No length: the body runs to the end of the connection.
        while stream.read(&mut chunk).await? > 0 {}
        return Ok((status, true));
    }
    Ok((status, close))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sure_gap_beyond_the_threshold_leaks() {
        let base: Vec<f64> = (0..400).map(|i| 3.0 + f64::from(i % 13) * 0.05).collect();
        let slow: Vec<f64> = base.iter().map(|x| x + 2.5).collect();
        let leak = TimingFigures::of("t", &slow, &base, 1.0);
        assert!(leak.leaks(), "{leak}");
        assert!((leak.diff_ms - 2.5).abs() < 1e-9);
        let reversed = TimingFigures::of("t", &base, &slow, 1.0);
        assert!(reversed.leaks(), "{reversed}");
        let same = TimingFigures::of("t", &base, &base, 1.0);
        assert!(!same.leaks(), "{same}");
        let small: Vec<f64> = base.iter().map(|x| x + 0.5).collect();
        assert!(!TimingFigures::of("t", &small, &base, 1.0).leaks());
        assert!(
            TimingFigures::of("t", &slow, &base, 1.0)
                .to_string()
                .contains("+2.500")
        );
    }
}
