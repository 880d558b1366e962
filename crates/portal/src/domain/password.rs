//! A password, and the policy a new one must meet: length (never truncated), not common,
//! no context words; NFKC-normalised before hashing.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;

/// Longest password accepted (in characters, after NFKC). Longer ones are refused, never
/// truncated.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password, NFKC-normalised so that the same visible text always hashes the same.
/// It never prints.
pub struct Password(SecretString);

impl Password {
    /// Normalises a password typed to log in or to confirm identity. No policy: the
    /// stored hash decides. Very long input is cut off by the caller's body limit.
    pub fn for_verification(raw: &str) -> Self {
        Self(SecretString::from(raw.nfkc().collect::<String>()))
    }

    /// Parses a new password against `policy`; `context` holds words the password must
    /// not contain (the account's email address; the product name is in the policy).
    pub fn parse_new(
        raw: &str,
        policy: &PasswordPolicy,
        email: &str,
    ) -> Result<Self, PasswordRejection> {
        let normalized: String = raw.nfkc().collect();
        let chars = normalized.chars().count();
        if chars < policy.min_length {
            return Err(PasswordRejection::TooShort {
                min: policy.min_length,
                actual: chars,
            });
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordRejection::TooLong {
                max: MAX_PASSWORD_CHARS,
            });
        }
        // Compared folded (case, compatibility forms, accents, ß): `GRÜNWALD`,
        // `grunwald` and a decomposed `gru\u{308}nwald` all contain `Grünwald`.
        let folded = fold(&normalized);
        let email = fold(email.trim());
        let local = email.split('@').next().unwrap_or_default();
        if !email.is_empty()
            && (folded.contains(&email) || (local.chars().count() >= 4 && folded.contains(local)))
        {
            return Err(PasswordRejection::ContainsEmail);
        }
        for word in &policy.product_words {
            if folded.contains(word.as_str()) {
                return Err(PasswordRejection::ContainsProductName {
                    product: policy.product_name.clone(),
                });
            }
        }
        let mut inputs: Vec<&str> = policy.product_words.iter().map(String::as_str).collect();
        if !email.is_empty() {
            inputs.push(&email);
            inputs.push(local);
        }
        let entropy = zxcvbn::zxcvbn(&normalized, &inputs);
        if entropy.score() < zxcvbn::Score::Three {
            let warning = entropy
                .feedback()
                .and_then(|f| f.warning())
                .map(Weakness::from);
            return Err(PasswordRejection::TooCommon { warning });
        }
        Ok(Self(SecretString::from(normalized)))
    }

    /// The normalised text, for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// What a new password must satisfy: a length range and no common or context words. No
/// composition rules (NIST SP 800-63B, ASVS V6).
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    min_length: usize,
    product_name: String,
    product_words: Vec<String>,
}

impl PasswordPolicy {
    /// `min_length` is clamped to 8..=128; words of 4+ letters of the product name are
    /// refused inside passwords.
    pub fn new(min_length: usize, product_name: &str) -> Self {
        let product_words = fold(product_name)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4)
            .map(str::to_owned)
            .collect();
        Self {
            min_length: min_length.clamp(8, MAX_PASSWORD_CHARS),
            product_name: product_name.to_owned(),
            product_words,
        }
    }

    /// The minimum length in characters.
    pub fn min_length(&self) -> usize {
        self.min_length
    }
}

/// Text as the product-word and email checks compare it, in any script: compatibility
/// forms folded (NFKD), accents and other combining marks dropped, full lower case, and
/// `ß` as `ss`, a final sigma as any other.
fn fold(text: &str) -> String {
    let lower: String = text
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    lower.replace('ß', "ss").replace('ς', "σ").nfc().collect()
}

/// Why a new password was refused: what the user should change (the web layer words
/// it in the reader's language; `Display` is for logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    /// Fewer characters than the policy's minimum.
    #[error("password too short ({actual} < {min} characters)")]
    TooShort {
        /// The minimum.
        min: usize,
        /// The length given.
        actual: usize,
    },
    /// More than [`MAX_PASSWORD_CHARS`].
    #[error("password too long (over {max} characters)")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Contains the account's email address or its local part.
    #[error("password contains the email address")]
    ContainsEmail,
    /// Contains a word of the product name.
    #[error("password contains the product name")]
    ContainsProductName {
        /// The product name.
        product: String,
    },
    /// A common password or too easy to guess (zxcvbn score below 3).
    #[error("password too common ({warning:?})")]
    TooCommon {
        /// What makes it easy to guess, when zxcvbn says.
        warning: Option<Weakness>,
    },
    /// The confirmation differs from the new password.
    #[error("password and confirmation differ")]
    Mismatch,
}

/// What makes a password easy to guess (zxcvbn's warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// Straight rows of keys.
    StraightRows,
    /// Short keyboard patterns.
    KeyboardPatterns,
    /// Repeats like "aaa".
    Repeats,
    /// Repeated groups like "abcabcabc".
    RepeatedGroups,
    /// A top-10 password.
    Top10,
    /// A top-100 password.
    Top100,
    /// A very common password.
    VeryCommon,
    /// Similar to a commonly used password.
    SimilarToCommon,
    /// Sequences like abc or 6543.
    Sequences,
    /// Recent years.
    RecentYears,
    /// A word by itself.
    SingleWord,
    /// Dates.
    Dates,
    /// Names and surnames by themselves.
    Names,
    /// Common names and surnames.
    CommonNames,
}

impl From<zxcvbn::feedback::Warning> for Weakness {
    fn from(w: zxcvbn::feedback::Warning) -> Self {
        use zxcvbn::feedback::Warning as W;
        match w {
            W::StraightRowsOfKeysAreEasyToGuess => Self::StraightRows,
            W::ShortKeyboardPatternsAreEasyToGuess => Self::KeyboardPatterns,
            W::RepeatsLikeAaaAreEasyToGuess => Self::Repeats,
            W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => Self::RepeatedGroups,
            W::ThisIsATop10Password => Self::Top10,
            W::ThisIsATop100Password => Self::Top100,
            W::ThisIsACommonPassword => Self::VeryCommon,
            W::ThisIsSimilarToACommonlyUsedPassword => Self::SimilarToCommon,
            W::SequencesLikeAbcAreEasyToGuess => Self::Sequences,
            W::RecentYearsAreEasyToGuess => Self::RecentYears,
            W::AWordByItselfIsEasyToGuess => Self::SingleWord,
            W::DatesAreOftenEasyToGuess => Self::Dates,
            W::NamesAndSurnamesByThemselvesAreEasyToGuess => Self::Names,
            W::CommonNamesAndSurnamesAreEasyToGuess => Self::CommonNames,
        }
    }
}

impl PasswordRejection {
    /// A stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "password_too_short",
            Self::TooLong { .. } => "password_too_long",
            Self::ContainsEmail => "password_contains_email",
            Self::ContainsProductName { .. } => "password_contains_product_name",
            Self::TooCommon { .. } => "password_too_common",
            Self::Mismatch => "password_mismatch",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::new(12, "Wallbox portal")
    }

    #[test]
    fn a_long_unusual_passphrase_is_accepted() {
        assert!(Password::parse_new("velvet-tundra-orbit-57", &policy(), "a@b.io").is_ok());
    }

    #[test]
    fn sixty_four_and_128_characters_are_accepted_never_truncated() {
        let p64: String = "q8#Lm2!zR5^wT9&".chars().cycle().take(64).collect();
        let p = Password::parse_new(&p64, &policy(), "a@b.io").unwrap();
        assert_eq!(p.expose().chars().count(), 64);
        let p128: String = "Zk4$uV7@nB1%xC3*".chars().cycle().take(128).collect();
        assert!(Password::parse_new(&p128, &policy(), "a@b.io").is_ok());
        let p129: String = "Zk4$uV7@nB1%xC3*".chars().cycle().take(129).collect();
        assert_eq!(
            Password::parse_new(&p129, &policy(), "a@b.io").unwrap_err(),
            PasswordRejection::TooLong { max: 128 }
        );
    }

    #[test]
    fn emoji_and_other_scripts_are_accepted() {
        assert!(Password::parse_new("🦀🚲🌋🎻🍋🛶 mañana ключ", &policy(), "a@b.io").is_ok());
    }

    #[test]
    fn short_passwords_are_refused_saying_the_minimum() {
        let e = Password::parse_new("abc", &policy(), "a@b.io").unwrap_err();
        assert_eq!(e, PasswordRejection::TooShort { min: 12, actual: 3 });
    }

    #[test]
    fn the_minimum_is_never_below_eight() {
        assert_eq!(PasswordPolicy::new(4, "x").min_length(), 8);
    }

    #[test]
    fn common_passwords_are_refused_with_the_reason() {
        for common in [
            "password1234",
            "qwertyuiop123",
            "iloveyou1234",
            "123456789012",
        ] {
            let e = Password::parse_new(common, &policy(), "a@b.io").unwrap_err();
            assert_eq!(e.code(), "password_too_common", "{common}");
        }
    }

    #[test]
    fn context_words_are_refused() {
        let e = Password::parse_new(
            "alice.smith-velvet-tundra",
            &policy(),
            "alice.smith@example.com",
        )
        .unwrap_err();
        assert_eq!(e, PasswordRejection::ContainsEmail);
        let e = Password::parse_new("my-WALLBOX-velvet-tundra", &policy(), "a@b.io").unwrap_err();
        assert_eq!(e.code(), "password_contains_product_name");
    }

    #[test]
    fn compatibility_forms_are_normalised() {
        // U+FB01 (fi ligature) and fullwidth letters become their plain forms under NFKC.
        let a = Password::parse_new("ﬁne-velvet-tundra-57", &policy(), "a@b.io").unwrap();
        let b = Password::for_verification("fine-velvet-tundra-57");
        assert_eq!(a.expose(), b.expose());
    }

    #[test]
    fn product_words_and_addresses_are_found_in_any_script_and_case() {
        let policy = PasswordPolicy::new(12, "Ladestation Grünwald Straße");
        for p in [
            "mein-GRÜNWALD-velvet-tundra",
            "mein-grunwald-velvet-tundra",
            "mein-gru\u{308}nwald-velvet-tundra",
            "STRASSE-velvet-tundra-orbit",
            "velvet-STRAẞE-tundra-orbit",
        ] {
            let e = Password::parse_new(p, &policy, "a@b.io").unwrap_err();
            assert_eq!(e.code(), "password_contains_product_name", "{p}");
        }
        for p in ["JÜRGEN.GROSS-velvet-tundra", "jurgen.groß-velvet-tundra"] {
            let e = Password::parse_new(p, &policy, "Jürgen.Groß@example.de").unwrap_err();
            assert_eq!(e, PasswordRejection::ContainsEmail, "{p}");
        }
        let e = Password::parse_new("ΣΟΦΙΑΣ-velvet-tundra-orbit", &policy, "σοφιας@example.gr")
            .unwrap_err();
        assert_eq!(e, PasswordRejection::ContainsEmail);
        assert!(
            Password::parse_new("velvet-tundra-orbit-57", &policy, "jürgen@example.de").is_ok()
        );
    }
}
