//! One-time codes and tokens a test usually wants from an email (`Codes`):
//! - in the text and the HTML: digit codes, or letters and digits, of 4 to 10
//!   characters near a word such as code, PIN, OTP, token or verification (up to 8
//!   words after it within the sentence, or 5 before it: "482913 is your code");
//! - in links: the values of query (or fragment) parameters whose names end in `token`,
//!   `code`, `key`, `otp` or `pin`.
//!
//! What looks like a code but is something else is left out: dates and times (`2026`
//! next to a month, `03/03/2026`, `10:30`), prices (`$1,299`, `1299 EUR`), phone
//! numbers (digit groups side by side, or after "call"), durations (`1440 minutes`),
//! order numbers (`#10234`), postcodes and promo codes ("zip code 90210", "promo code
//! SAVE20").

use std::collections::HashSet;

/// Words that announce a code (lower case, surrounding punctuation removed).
const KEYWORDS: &[&str] = &[
    "code",
    "codes",
    "pin",
    "otp",
    "token",
    "passcode",
    "verification",
    "one-time",
    "2fa",
    "mfa",
    "código",
    "codice",
];
/// A word before "code" that makes it something else than a one-time code.
const NOT_A_ONE_TIME_CODE: &[&str] = &[
    "zip",
    "postal",
    "post",
    "area",
    "country",
    "dial",
    "dialing",
    "promo",
    "promotional",
    "discount",
    "coupon",
    "voucher",
    "gift",
    "source",
    "error",
    "status",
    "dress",
    "qr",
    "bar",
    "tracking",
    "tax",
    "sort",
    "swift",
    "bank",
    "color",
    "colour",
];
/// Compounds ending in "code" that are not one-time codes.
const NOT_CODE_COMPOUNDS: &[&str] = &[
    "postcode",
    "zipcode",
    "barcode",
    "qrcode",
    "unicode",
    "encode",
    "decode",
    "promocode",
    "opcode",
    "shortcode",
    "sourcecode",
    "errorcode",
    "statuscode",
    "dresscode",
];
const MONTHS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
    "mon",
    "monday",
    "tue",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
    "©",
    "(c)",
    "copyright",
    "since",
    "year",
    "years",
];
/// Words after a number that make it an amount, not a code.
const UNITS: &[&str] = &[
    "ms", "s", "sec", "secs", "second", "seconds", "min", "mins", "minute", "minutes", "h", "hr",
    "hrs", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years",
    "%", "percent", "usd", "eur", "gbp", "chf", "jpy", "cad", "aud", "dollars", "euros", "pounds",
    "points", "miles", "km", "kb", "mb", "gb", "items", "people",
];
/// Words before a number that make it an amount or a phone number.
const BEFORE_AMOUNTS: &[&str] = &[
    "usd",
    "eur",
    "gbp",
    "chf",
    "jpy",
    "cad",
    "aud",
    "call",
    "phone",
    "tel",
    "telephone",
    "fax",
    "mobile",
    "whatsapp",
    "ext",
    "room",
    "order",
    "invoice",
    "account",
    "ending",
    "total",
];
/// Bytes of the text and of the HTML looked at: codes come first in an email, and a
/// huge body must not cost its size.
const SCAN_BYTES: usize = 64 * 1024;

/// Link parameters whose values are codes or tokens, by how their name ends.
const PARAM_ENDINGS: &[&str] = &["token", "code", "key", "otp", "pin"];
/// Longest link parameter value kept.
const MAX_PARAM_VALUE: usize = 512;

/// What surrounds a word without being part of it.
const PUNCTUATION: [char; 24] = [
    '"', '\'', '(', ')', '[', ']', '{', '}', '<', '>', ',', '.', ';', ':', '!', '?', '*', '_', '“',
    '”', '‘', '’', '«', '»',
];

/// A word of the body: its text without surrounding punctuation, lower-cased for
/// comparisons, and whether it ends a sentence.
struct Word<'a> {
    core: &'a str,
    lower: String,
    ends_sentence: bool,
}

fn words(text: &str) -> Vec<Word<'_>> {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(|raw| {
            let core = raw.trim_matches(PUNCTUATION);
            let tail = raw.trim_end_matches(['"', '\'', ')', ']', '”']);
            Word {
                core,
                lower: core.to_lowercase(),
                ends_sentence: tail.ends_with(['.', '!', '?']),
            }
        })
        .collect()
}

fn is_keyword(words: &[Word<'_>], i: usize) -> bool {
    let w = words[i].lower.as_str();
    let qualified_away = i > 0 && NOT_A_ONE_TIME_CODE.contains(&words[i - 1].lower.as_str());
    if KEYWORDS.contains(&w) {
        return !(w.starts_with("code") && qualified_away);
    }
    // Compounds: passcode, Bestätigungscode, Sicherheitscode, ...
    w.chars().count() > 4 && w.ends_with("code") && !NOT_CODE_COMPOUNDS.contains(&w)
}

/// The shape of a code: 4–10 ASCII letters and digits, with a digit; letters and
/// digits mixed need 5 characters (`H264` and `21st` are not codes).
fn looks_like_a_code(core: &str) -> bool {
    let len = core.len();
    if !(4..=10).contains(&len) || !core.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let digits = core.bytes().filter(u8::is_ascii_digit).count();
    digits == len || (digits > 0 && len >= 5)
}

fn is_digit_group(w: &Word<'_>) -> bool {
    let t = w.core.trim_start_matches('+');
    t.len() <= 5
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

/// Whether the word at `i` is a date, an amount or part of a phone number.
fn is_something_else(words: &[Word<'_>], i: usize) -> bool {
    let w = &words[i];
    let before = i.checked_sub(1).map(|j| &words[j]);
    let after = words.get(i + 1);
    let digits_only = w.core.bytes().all(|b| b.is_ascii_digit());
    if !digits_only {
        return false;
    }
    let year_like = w.core.len() == 4 && matches!(&w.core[..2], "19" | "20");
    let neighbours = (i.saturating_sub(2)..=(i + 2).min(words.len() - 1)).filter(|&j| j != i);
    if year_like
        && neighbours.clone().any(|j| {
            let n = &words[j];
            MONTHS.contains(&n.lower.as_str())
                || (n.core.len() <= 2 && n.core.bytes().all(|b| b.is_ascii_digit()))
        })
    {
        return true;
    }
    after.is_some_and(|a| UNITS.contains(&a.lower.as_str()))
        || before.is_some_and(|b| BEFORE_AMOUNTS.contains(&b.lower.as_str()))
        || before.is_some_and(is_digit_group)
        || after.is_some_and(is_digit_group)
}

/// Codes near keywords in `text`, in order of appearance.
fn codes_in_words(text: &str, out: &mut Vec<String>) {
    let words = words(text);
    for (i, w) in words.iter().enumerate() {
        if !looks_like_a_code(w.core) || is_keyword(&words, i) {
            continue;
        }
        // A keyword up to 8 words before, in the same sentence as the code (the
        // sentence may end on the code itself).
        let after_keyword = (1..=8)
            .map_while(|d| i.checked_sub(d))
            .take_while(|&k| !words[k].ends_sentence)
            .any(|k| is_keyword(&words, k));
        // "482913 is your Example login code": a keyword up to 5 words after.
        let before_keyword = !w.ends_sentence
            && (i + 1..words.len().min(i + 6))
                .take_while(|&k| k == i + 1 || !words[k - 1].ends_sentence)
                .any(|k| is_keyword(&words, k));
        if (after_keyword || before_keyword) && !is_something_else(&words, i) {
            out.push(w.core.to_owned());
        }
    }
}

/// The text a reader sees in an HTML body: no tags, no style or script, entities
/// decoded. Tags become spaces, so words in separate cells stay apart.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        rest = &rest[lt..];
        let lower_start: String = rest.chars().take(8).flat_map(char::to_lowercase).collect();
        let skip_to = if lower_start.starts_with("<!--") {
            rest.find("-->").map(|e| e + 3)
        } else if lower_start.starts_with("<style") || lower_start.starts_with("<script") {
            let closing = if lower_start.starts_with("<style") {
                "</style"
            } else {
                "</script"
            };
            find_ascii_ci(rest, closing)
                .map(|e| rest[e..].find('>').map_or(rest.len(), |g| e + g + 1))
        } else {
            rest.find('>').map(|e| e + 1)
        };
        match skip_to {
            Some(end) => rest = &rest[end..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    crate::parse::decode_entities(&out)
}

/// Byte position of `needle` (ASCII) in `haystack`, ignoring ASCII case.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

/// Values of token-like parameters of the links.
fn codes_in_links(links: &[String], out: &mut Vec<String>) {
    for link in links {
        let Ok(url) = url::Url::parse(link) else {
            continue;
        };
        // A single-page app's route: `#/reset?token=...`.
        let fragment = url
            .fragment()
            .map(|f| f.split_once('?').map_or(f, |(_, query)| query))
            .filter(|f| f.contains('='))
            .map(|f| url::form_urlencoded::parse(f.as_bytes()));
        let pairs = url.query_pairs().chain(fragment.into_iter().flatten());
        for (name, value) in pairs {
            let name = name.to_ascii_lowercase();
            if !value.is_empty()
                && value.len() <= MAX_PARAM_VALUE
                && PARAM_ENDINGS.iter().any(|e| name.ends_with(e))
            {
                out.push(value.into_owned());
            }
        }
    }
}

/// Words whose presence (in any case) lets a body hold a code; one of them is in every
/// keyword and in every link parameter name that counts.
const HINTS: &[&[u8]] = &[
    b"code",
    b"pin",
    b"otp",
    b"token",
    b"verif",
    b"key",
    b"2fa",
    b"mfa",
    "código".as_bytes(),
];

/// The bytes a hint can start with, in either ASCII case: the scan skips every other
/// byte with one table look-up.
const HINT_STARTS: [bool; 256] = {
    let mut set = [false; 256];
    let mut i = 0;
    while i < HINTS.len() {
        set[HINTS[i][0].to_ascii_lowercase() as usize] = true;
        set[HINTS[i][0].to_ascii_uppercase() as usize] = true;
        i += 1;
    }
    set
};

/// Whether a body could hold a code at all: one pass over its bytes, comparing hints
/// only where one could start, so most mail skips the word scan cheaply.
fn mentions_a_code(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(found) = bytes[from..]
        .iter()
        .position(|&b| HINT_STARTS[usize::from(b)])
    {
        let at = from + found;
        if HINTS.iter().any(|h| {
            bytes
                .get(at..at + h.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(h))
        }) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The codes of a message, in order of appearance (text, HTML, links), each once.
/// `links` is called only when the text or the HTML mentions a code at all.
/// Only the first [`SCAN_BYTES`] of each are looked at.
pub(crate) fn find(
    text: &str,
    html: &str,
    links: impl FnOnce(&str, &str) -> Vec<String>,
) -> Vec<String> {
    let (text, html) = (head(text, SCAN_BYTES), head(html, SCAN_BYTES));
    if !mentions_a_code(text) && !mentions_a_code(html) {
        return Vec::new();
    }
    extract(text, html, &links(text, html))
}

fn extract(text: &str, html: &str, links: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    codes_in_words(text, &mut found);
    if !html.is_empty() {
        codes_in_words(&visible_text(html), &mut found);
    }
    codes_in_links(links, &mut found);
    let mut seen = HashSet::new();
    found.retain(|c| seen.insert(c.clone()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Vec<String> {
        extract(s, "", &[])
    }

    #[test]
    fn the_hint_scan_finds_every_hint_in_any_case_and_position() {
        for hint in HINTS {
            let hint = std::str::from_utf8(hint).unwrap();
            for word in [
                hint.to_owned(),
                hint.to_uppercase(),
                hint.to_ascii_uppercase(),
            ] {
                if !word.eq_ignore_ascii_case(hint) {
                    continue; // Only ASCII case folds are promised.
                }
                assert!(mentions_a_code(&word), "{word}");
                assert!(mentions_a_code(&format!("Hello there, {word}")), "{word}");
                assert!(mentions_a_code(&format!("{word}: 1234 and more")), "{word}");
            }
        }
        for plain in [
            "",
            "c",
            "Hello, your order has shipped.",
            "co pi ot to ve ke 2f mf",
        ] {
            assert!(!mentions_a_code(plain), "{plain}");
        }
    }

    #[test]
    fn codes_near_keywords_are_found() {
        assert_eq!(text("Your verification code is 482913."), ["482913"]);
        assert_eq!(text("482913 is your Example login code."), ["482913"]);
        assert_eq!(text("Your one-time passcode: A7K9Q2"), ["A7K9Q2"]);
        assert_eq!(text("Your new PIN is 4071."), ["4071"]);
        assert_eq!(text("OTP: 99817723"), ["99817723"]);
        assert_eq!(text("Your code: 482913 --"), ["482913"]);
        assert_eq!(text("Ihr Bestätigungscode lautet 385017."), ["385017"]);
        assert_eq!(
            text("Code (valid 10 minutes):\n\n   **552301**\n"),
            ["552301"]
        );
    }

    #[test]
    fn dates_prices_phones_and_amounts_are_not_codes() {
        for s in [
            "Your code was sent on 3 March 2026.",
            "Sent 12 March 2026, see the code below",
            "The code expires on 03/03/2026 at 10:30.",
            "Verification code for your payment of 1450 USD",
            "Your code costs $1,299.00 or EUR 1299",
            "Didn't request a code? Call 0800 555 0199.",
            "If you need a new code call 08005550199 now",
            "This code is valid for 1440 minutes.",
            "Promo code SAVE2026 gives 20% off.",
            "Enter your zip code 90210 to continue",
            "Order #10234 code",
            "H264 code",
            "Your code is below. © 2026 Example Inc.",
            "Your code was sent since 2019",
            "code 1234-5678",
        ] {
            assert_eq!(text(s), Vec::<String>::new(), "{s}");
        }
        assert_eq!(
            text("Your code is 204816, for help call 0800 5550 199"),
            ["204816"]
        );
        assert_eq!(
            text("Verification code 663920 for your payment of 1450 USD"),
            ["663920"]
        );
        assert_eq!(
            text("Your login code 771203 is valid for 1440 minutes."),
            ["771203"]
        );
    }

    #[test]
    fn html_is_read_as_a_reader_sees_it() {
        let html = r#"<html><head><style>.code { color: #112233; font-size: 1200px }</style>
            <script>var code = 99999;</script></head><body>
            <!-- code 11111 -->
            <h1>Verification code</h1><table><tr><td><strong>739105</strong></td></tr></table>
            <p>This code expires in 15 minutes.</p><p>&copy; 2026 Example Inc.</p></body></html>"#;
        assert_eq!(extract("", html, &[]), ["739105"]);
        assert_eq!(
            visible_text("a<b>b</b>&amp;c<STYLE>x</style>d<unterminated"),
            "a b &c d "
        );
    }

    #[test]
    fn token_like_link_parameters_are_codes() {
        let links = [
            "https://portal.test/recover?token=abc123&lang=en".to_owned(),
            "https://app.test/verify?code=Q1W2E3R4&utm_source=email&state=x".to_owned(),
            "https://app.test/#/reset?reset_token=t%2Bk&x=1".to_owned(),
            "https://api.test/cb?apiKey=K-1&code_challenge_method=S256&token_type=bearer"
                .to_owned(),
            "not a url".to_owned(),
        ];
        assert_eq!(
            find("", "", |_, _| links.to_vec()),
            Vec::<String>::new(),
            "nothing mentions a code"
        );
        assert_eq!(
            find("see the links (token)", "", |_, _| links.to_vec()),
            ["abc123", "Q1W2E3R4", "t+k", "K-1"]
        );
    }

    #[test]
    fn only_the_start_of_a_huge_body_is_read() {
        let filler = "x".repeat(SCAN_BYTES);
        let early = format!("Your code: 482913 {filler}");
        assert_eq!(find(&early, "", |_, _| Vec::new()), ["482913"]);
        let late = format!("{filler} Your code: 482913");
        assert_eq!(find(&late, "", |_, _| Vec::new()), Vec::<String>::new());
        assert_eq!(head("ééé", 3), "é");
    }

    #[test]
    fn each_code_is_listed_once_in_order() {
        let html = "<p>Your code: <b>482913</b></p>";
        let links = ["https://x.test/v?code=482913".to_owned()];
        assert_eq!(extract("Your code: 482913", html, &links), ["482913"]);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{config, hostile_text};

        /// Words with their spaces (so that they stay words), and the pieces rules
        /// react to.
        const VOCAB: &[&str] = &[
            "code ",
            "Code: ",
            "PIN ",
            "otp ",
            "token ",
            "verification ",
            "is ",
            "your ",
            " ",
            "\n",
            ". ",
            "? ",
            ", ",
            "482913 ",
            "A7K9Q2 ",
            "a7k9q2",
            "2026 ",
            "March ",
            "12 ",
            "© ",
            "$",
            "1,299 ",
            "EUR ",
            "minutes ",
            "call ",
            "0800 ",
            "555 ",
            "+44 ",
            "#10234 ",
            "zip ",
            "<b>",
            "</b>",
            "<style>",
            "</style>",
            "<!--",
            "-->",
            "&amp;",
            "&#",
            "é",
            "💌",
            "ß",
            "İ",
            "<",
            ">",
            "\"",
            "Bestätigungscode ",
            "1234567890123 ",
            "--",
        ];

        proptest! {
            #![proptest_config(config(1024))]

            /// Whatever the body, extraction does not panic, and every code from the
            /// words has a code's shape and is in the body as written.
            #[test]
            fn codes_have_a_codes_shape_and_come_from_the_body(
                text in hostile_text(VOCAB, 24),
                html in hostile_text(VOCAB, 24),
            ) {
                let codes = extract(&text, &html, &[]);
                let visible = visible_text(&html);
                for c in &codes {
                    prop_assert!(looks_like_a_code(c), "{c:?}");
                    prop_assert!(text.contains(c.as_str()) || visible.contains(c.as_str()), "{c:?}");
                }
                let unique: HashSet<&String> = codes.iter().collect();
                prop_assert_eq!(unique.len(), codes.len());
            }

            #[test]
            fn any_link_is_read_without_panicking(link in hostile_text(&[
                "https://", "a.test", "/", "?", "#", "&", "=", "token", "code", "key", "%", "%FF",
                "%2", "é", "💌", " ", "[", "]", ":", "@", "1",
            ], 16)) {
                let codes = extract("code", "", &[link]);
                prop_assert!(codes.iter().all(|c| !c.is_empty() && c.len() <= MAX_PARAM_VALUE));
            }
        }
    }
}
