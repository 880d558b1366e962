//! Which message each answer shows. The sentences themselves live in
//! `locales/<language>/portal.ftl` (the help article's own words in English); this
//! module maps what happened (a refusal, a refused password, a malformed address) to
//! its message, in the language of the request being answered ([`locale::current`]).

use crate::accounts::AccountsError;
use crate::domain::{EmailError, PasswordRejection, Weakness};
use crate::i18n::Lang;

use super::locale;

/// Message `id` in the language of the request being answered.
pub fn t(id: &str) -> String {
    locale::current().t(id)
}

/// What the user is told about a refusal, in the language of the request.
pub fn error(e: &AccountsError) -> String {
    let lang = locale::current();
    match e {
        AccountsError::InvalidCredentials => lang.t("error-invalid-credentials"),
        AccountsError::TooManyAttempts => lang.t("error-too-many-attempts"),
        AccountsError::InvalidToken => lang.t("error-invalid-token"),
        AccountsError::Rejected(r) => rejection(r, lang),
        AccountsError::InvalidEmail(e) => email_error(e, lang),
        AccountsError::CurrentPasswordIncorrect => lang.t("error-current-password-incorrect"),
        AccountsError::Unauthenticated => lang.t("error-unauthenticated"),
        AccountsError::Busy => lang.t("error-busy"),
        AccountsError::Internal(_) => lang.t("internal"),
    }
}

/// Why a new password was refused, in `lang`.
pub fn rejection(r: &PasswordRejection, lang: Lang) -> String {
    match r {
        PasswordRejection::TooShort { min, actual } => lang.fmt(
            "password-too-short",
            &[("min", (*min).into()), ("actual", (*actual).into())],
        ),
        PasswordRejection::TooLong { max } => {
            lang.fmt("password-too-long", &[("max", (*max).into())])
        }
        PasswordRejection::ContainsEmail => lang.t("password-contains-email"),
        PasswordRejection::ContainsProductName { product } => lang.fmt(
            "password-contains-product",
            &[("product", product.as_str().into())],
        ),
        PasswordRejection::TooCommon { warning: None } => lang.t("password-too-common"),
        PasswordRejection::TooCommon {
            warning: Some(weakness),
        } => lang.fmt(
            "password-too-common-because",
            &[("warning", lang.t(weakness_id(*weakness)).into())],
        ),
        PasswordRejection::Mismatch => lang.t("password-mismatch"),
    }
}

fn weakness_id(w: Weakness) -> &'static str {
    match w {
        Weakness::StraightRows => "password-warning-straight-rows",
        Weakness::KeyboardPatterns => "password-warning-keyboard-patterns",
        Weakness::Repeats => "password-warning-repeats",
        Weakness::RepeatedGroups => "password-warning-repeated-groups",
        Weakness::Top10 => "password-warning-top-10",
        Weakness::Top100 => "password-warning-top-100",
        Weakness::VeryCommon => "password-warning-very-common",
        Weakness::SimilarToCommon => "password-warning-similar-to-common",
        Weakness::Sequences => "password-warning-sequences",
        Weakness::RecentYears => "password-warning-recent-years",
        Weakness::SingleWord => "password-warning-single-word",
        Weakness::Dates => "password-warning-dates",
        Weakness::Names => "password-warning-names",
        Weakness::CommonNames => "password-warning-common-names",
    }
}

/// Why a text is not an email address, in `lang`.
pub fn email_error(e: &EmailError, lang: Lang) -> String {
    match e {
        EmailError::Empty => lang.t("email-empty"),
        EmailError::Invalid => lang.t("email-invalid"),
        EmailError::LookAlike => lang.t("email-look-alike"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_the_documented_english() {
        let en = Lang::SOURCE;
        assert_eq!(
            rejection(&PasswordRejection::TooShort { min: 12, actual: 3 }, en),
            "Your new password is too short: use at least 12 characters (it has 3)."
        );
        assert_eq!(
            rejection(
                &PasswordRejection::TooCommon {
                    warning: Some(Weakness::VeryCommon)
                },
                en
            ),
            "Your new password is too common or too easy to guess. This is a very common password. Use a longer phrase of unusual words."
        );
        assert_eq!(
            rejection(&PasswordRejection::TooCommon { warning: None }, en),
            "Your new password is too common or too easy to guess. Use a longer phrase of unusual words."
        );
        assert_eq!(
            rejection(
                &PasswordRejection::ContainsProductName {
                    product: "Wallbox portal".into()
                },
                en
            ),
            "Your new password must not contain the name of the product (Wallbox portal)."
        );
    }

    #[test]
    fn every_weakness_has_the_words_zxcvbn_gives_it_in_english() {
        use zxcvbn::feedback::Warning as W;
        for w in [
            W::StraightRowsOfKeysAreEasyToGuess,
            W::ShortKeyboardPatternsAreEasyToGuess,
            W::RepeatsLikeAaaAreEasyToGuess,
            W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
            W::ThisIsATop10Password,
            W::ThisIsATop100Password,
            W::ThisIsACommonPassword,
            W::ThisIsSimilarToACommonlyUsedPassword,
            W::SequencesLikeAbcAreEasyToGuess,
            W::RecentYearsAreEasyToGuess,
            W::AWordByItselfIsEasyToGuess,
            W::DatesAreOftenEasyToGuess,
            W::NamesAndSurnamesByThemselvesAreEasyToGuess,
            W::CommonNamesAndSurnamesAreEasyToGuess,
        ] {
            assert_eq!(
                Lang::SOURCE.t(weakness_id(Weakness::from(w))),
                w.to_string()
            );
        }
    }

    #[test]
    fn spanish_plurals_count_the_characters() {
        let es = Lang::from_code("es").unwrap();
        let one = rejection(&PasswordRejection::TooShort { min: 12, actual: 1 }, es);
        assert!(one.ends_with("(tiene 1 carácter)."), "{one}");
        let many = rejection(&PasswordRejection::TooShort { min: 12, actual: 3 }, es);
        assert!(many.ends_with("(tiene 3 caracteres)."), "{many}");
    }
}
