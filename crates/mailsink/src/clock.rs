//! Time as the sink reads it: the wall clock, read here only, and durations as people
//! type them (`10s`, `500ms`, `2m`, `1h 30m`, or a bare number of seconds), for `wait`'s
//! timeout and a fault rule's `ExpiresIn`.

use std::time::Duration;

use time::OffsetDateTime;

/// The wall clock. The sink has no clock to inject: messages, rules and sessions are
/// stamped with the time they happen, as Mailpit does; what must be measured (expiry,
/// waits) uses `Instant` or tokio's timers.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now_utc() -> OffsetDateTime {
    OffsetDateTime::now_utc()
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
}
