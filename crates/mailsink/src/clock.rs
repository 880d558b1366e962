//! Time as the sink reads it: the wall clock, read here only; [`SinkClock`], the clock
//! messages are stamped with and aged by (`--max-age`), which a test can set by hand;
//! and durations as people type them (`10s`, `500ms`, `2m`, `1h 30m`, or a bare number
//! of seconds), for `wait`'s timeout and a fault rule's `ExpiresIn`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

/// The wall clock. Rules and sessions are stamped with the time they happen, as
/// Mailpit does; what must be measured (expiry, waits) uses `Instant` or tokio's timers.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now_utc() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The clock a message's arrival time is read from, and its age measured against
/// (`max_age` retention): the wall clock, or a manual one a test moves forward.
#[derive(Debug, Clone, Default)]
pub struct SinkClock(Option<Arc<Mutex<OffsetDateTime>>>);

impl SinkClock {
    /// The wall clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands still at the current time until [`SinkClock::advance`].
    pub fn manual() -> Self {
        Self(Some(Arc::new(Mutex::new(now_utc()))))
    }

    /// Moves a manual clock forward (the wall clock cannot be moved: no effect).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.0 {
            let mut t = t.lock().unwrap_or_else(PoisonError::into_inner);
            *t += by;
        }
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        match &self.0 {
            Some(t) => *t.lock().unwrap_or_else(PoisonError::into_inner),
            None => now_utc(),
        }
    }
}

/// `7d`, `12h`, `90m`, `1h 30m` (a bare number is hours, as Mailpit's `--max-age`);
/// zero turns age retention off.
pub fn parse_max_age(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(hours) = t.parse::<u64>() {
        return Ok(Duration::from_secs(hours.min(1_000_000) * 3600));
    }
    humantime::parse_duration(t).map_err(|e| format!("not an age: {s:?} (try 7d or 12h): {e}"))
}

/// Parses `s`; a bare number is seconds (capped at a million, so no overflow).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Ok(Duration::from_secs_f64(secs.min(1e6))),
        _ => humantime::parse_duration(s).map_err(|e| format!("bad duration {s:?}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_seconds_and_units_are_understood() {
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration(" 1.5 "), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1e9"), Ok(Duration::from_secs(1_000_000)));
        assert!(parse_duration("1e400").is_err());
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn ages_take_days_and_hours_and_bare_numbers_are_hours() {
        assert_eq!(parse_max_age("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_max_age("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_max_age("2"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_max_age("0"), Ok(Duration::ZERO));
        assert!(parse_max_age("old").is_err());
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = SinkClock::manual();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(3600));
        assert_eq!(clock.now() - t0, time::Duration::hours(1));
    }
}
