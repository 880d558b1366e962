//! `Accept-Language` (RFC 9110, section 12.5.4): the language a client prefers among
//! those offered.

use super::Lang;

/// Most ranges of one header looked at (a header is a client's, of any length).
const MAX_RANGES: usize = 32;

/// The language of `offered` that `header` ranks highest: ranges by quality (ties in
/// header order), a range matching a language with the same primary tag (`de-CH` and
/// `de` both match `de`), `*` matching the first offered; `q=0` means "not this one".
/// `None` when nothing offered is acceptable.
pub fn negotiate(header: &str, offered: &[Lang]) -> Option<Lang> {
    let mut ranges: Vec<(&str, u16)> = header
        .split(',')
        .take(MAX_RANGES)
        .filter_map(|item| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim();
            if range.is_empty() {
                return None;
            }
            let q = parts
                .find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| quality(v.trim()))
                })
                .unwrap_or(Some(1000))?;
            Some((range, q))
        })
        .collect();
    // Stable: equal qualities keep the header's order.
    ranges.sort_by_key(|r| std::cmp::Reverse(r.1));
    let refused: Vec<&str> = ranges
        .iter()
        .filter(|(_, q)| *q == 0)
        .map(|(r, _)| *r)
        .collect();
    let acceptable = |l: &Lang| !refused.iter().any(|r| matches(r, *l));
    for (range, q) in &ranges {
        if *q == 0 {
            break;
        }
        if *range == "*" {
            return offered.iter().copied().find(acceptable);
        }
        if let Some(l) = offered
            .iter()
            .copied()
            .find(|l| matches(range, *l) && acceptable(l))
        {
            return Some(l);
        }
    }
    None
}

/// Whether a language range names `lang` (its primary subtag, any case).
fn matches(range: &str, lang: Lang) -> bool {
    let primary = range.split(['-', '_']).next().unwrap_or(range);
    primary.eq_ignore_ascii_case(lang.code())
}

/// A quality value (`0` to `1` with up to three decimals) in thousandths; `None` when
/// malformed.
fn quality(v: &str) -> Option<u16> {
    let value: f32 = v.parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Lang> {
        Lang::all().collect()
    }

    fn pick(h: &str) -> Option<&'static str> {
        negotiate(h, &all()).map(Lang::code)
    }

    #[test]
    fn the_highest_quality_offered_language_wins() {
        assert_eq!(pick("de-CH, fr;q=0.9, en;q=0.8"), Some("de"));
        assert_eq!(pick("it, fr;q=0.5, es;q=0.7"), Some("es"));
        assert_eq!(pick("ES-es"), Some("es"));
        assert_eq!(pick("fr;q=0.5, de;q=0.5"), Some("fr"));
        assert_eq!(pick("pt-BR, it"), None);
        assert_eq!(pick(""), None);
    }

    #[test]
    fn star_and_refusals() {
        assert_eq!(pick("it, *;q=0.1"), Some("en"));
        assert_eq!(pick("*, en;q=0"), Some("es"));
        assert_eq!(pick("de;q=0"), None);
        assert_eq!(pick("de;q=2, fr"), Some("fr"));
        assert_eq!(pick("de;q=abc, es;q=0.001"), Some("es"));
    }

    #[test]
    fn only_offered_languages_are_chosen() {
        let offered = [Lang::from_code("fr").unwrap()];
        assert_eq!(
            negotiate("de, fr;q=0.1", &offered).map(Lang::code),
            Some("fr")
        );
        assert_eq!(negotiate("de, en", &offered), None);
    }
}
