//! Statistics of latency samples, without dependencies: percentiles and a bootstrap
//! interval of a difference of medians. Shared, as a file, with the benchmarks
//! (`crates/bench/src/portal/load.rs` includes it with `#[path]`), so the suite and the
//! benchmark judge the known/unknown address gap the same way.

/// The `pct` percentile of `v` (nearest rank; NaN when empty).
pub fn percentile(v: &[f64], pct: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((pct / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[rank.min(s.len() - 1)]
}

/// The 95% bootstrap interval of `median(a) - median(b)`: `rounds` resamples of each,
/// with replacement, from a fixed seed (the same samples give the same interval).
pub fn bootstrap_median_diff(a: &[f64], b: &[f64], rounds: usize) -> (f64, f64) {
    if a.is_empty() || b.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    // A small xorshift: the resampling needs speed and repeatability, not secrecy.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |len: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % len as u64) as usize
    };
    let mut diffs = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let ra: Vec<f64> = (0..a.len()).map(|_| a[next(a.len())]).collect();
        let rb: Vec<f64> = (0..b.len()).map(|_| b[next(b.len())]).collect();
        diffs.push(percentile(&ra, 50.0) - percentile(&rb, 50.0));
    }
    (percentile(&diffs, 2.5), percentile(&diffs, 97.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_ranks() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&v, 50.0), 3.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 100.0), 5.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn the_interval_holds_a_shift_and_excludes_none_when_there_is_none() {
        let b: Vec<f64> = (0..400).map(|i| 2.0 + f64::from(i % 17) * 0.1).collect();
        let a: Vec<f64> = b.iter().map(|x| x + 2.5).collect();
        let (lo, hi) = bootstrap_median_diff(&a, &b, 500);
        assert!(lo > 2.0 && hi < 3.0, "[{lo}, {hi}]");
        let (lo, hi) = bootstrap_median_diff(&b, &b, 500);
        assert!(lo <= 0.0 && hi >= 0.0, "[{lo}, {hi}]");
    }
}
