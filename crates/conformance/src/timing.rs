//! "A recovery request takes the same time for a known and an unknown address",
//! measured: the recovery form is sent for the account's address and for one without an
//! account, in interleaved pairs (which goes first is drawn per pair, so drift hits both
//! alike) over one kept-alive connection; the figure is the difference of the medians
//! with its 95% bootstrap interval ([`crate::stats`]).
//!
//! Decision rule: the scenario fails when the whole interval lies beyond the profile's
//! `timing.threshold_ms` (its lower bound above `+threshold`, or its upper bound below
//! `-threshold`): only a gap the measurement is sure of, and larger than the tolerance,
//! counts as a leak.

use std::time::Instant;

use anyhow::{Context as _, bail};
use htmlform::Submission;

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
/// times for each address, interleaved, through `browser` (one client: one kept-alive
/// connection); returns the answer times in ms for (known, unknown), warm-up left out.
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
    let (mut k, mut u) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    for i in 0..warm_up + pairs {
        let known_first = rand::random::<bool>();
        for known_now in [known_first, !known_first] {
            let submission = if known_now { &for_known } else { &for_unknown };
            let t = Instant::now();
            let page = browser
                .send(submission.clone())
                .await
                .context("sending the recovery form")?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if page.status.as_u16() >= 400 {
                bail!(
                    "the recovery form was answered {} on request {} (a rate limit? raise it \
                     for this run): {}",
                    page.status,
                    2 * i + 1,
                    page.text().chars().take(200).collect::<String>()
                );
            }
            if i >= warm_up {
                if known_now { &mut k } else { &mut u }.push(ms);
            }
        }
    }
    Ok((k, u))
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
