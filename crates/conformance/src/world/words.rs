//! What the pages say, in each language the suite speaks: the words the World's own
//! gestures look for (signing up, logging in, the journeys' forms) when a feature is
//! written in that language (`# language: es`). Written here, not read from the portal,
//! so that the suite checks the portal's words rather than repeating them.

/// The words of the portal's pages in one language.
#[derive(Debug)]
pub struct Words {
    /// The language's code, sent as `Accept-Language`.
    pub code: &'static str,
    /// The landing page's button.
    pub continue_with_email: &'static str,
    /// The sign-up link and button.
    pub create_account: &'static str,
    /// The address field.
    pub email: &'static str,
    /// The password field of the log-in and sign-up forms.
    pub password: &'static str,
    /// The sign-up form's confirmation field.
    pub confirm_password: &'static str,
    /// The log-in button.
    pub log_in: &'static str,
    /// The log-out button.
    pub log_out: &'static str,
    /// The confirmation page's button.
    pub confirm_account: &'static str,
    /// What the page says once the account is confirmed.
    pub account_confirmed: &'static str,
    /// The settings icon's name.
    pub settings: &'static str,
    /// The settings tab of the password.
    pub security: &'static str,
    /// The password panel's title.
    pub password_panel: &'static str,
    /// The password panel's button.
    pub edit: &'static str,
    /// The change form's fields and button.
    pub current_password: &'static str,
    /// The new password field (change and recovery forms).
    pub new_password: &'static str,
    /// Its confirmation.
    pub confirm_new_password: &'static str,
    /// The change form's button.
    pub update_password: &'static str,
    /// The recovery form's button.
    pub validate: &'static str,
    /// The log-in page's link to recovery.
    pub forgot_password: &'static str,
    /// The recovery request's button.
    pub restore_password: &'static str,
    /// The answer to every recovery request (the article's words).
    pub neutral_answer: &'static str,
    /// The sentence after a reset or a change (the article's words).
    pub success: &'static str,
}

/// English: the help article's words.
pub const ENGLISH: Words = Words {
    code: "en",
    continue_with_email: "Continue with email",
    create_account: "Create account",
    email: "Email",
    password: "Password",
    confirm_password: "Confirm password",
    log_in: "Log in",
    log_out: "Log out",
    confirm_account: "Confirm account",
    account_confirmed: "Your account is confirmed",
    settings: "Settings",
    security: "Security",
    password_panel: "Password",
    edit: "Edit",
    current_password: "Current password",
    new_password: "New password",
    confirm_new_password: "Confirm new password",
    update_password: "Update password",
    validate: "Validate",
    forgot_password: "Forgot your password?",
    restore_password: "Restore password",
    neutral_answer: "If the email address you entered matches an existing account, a password recovery email will be sent to this email address.",
    success: "You can now log in using the new password you defined.",
};

/// Spanish.
pub const SPANISH: Words = Words {
    code: "es",
    continue_with_email: "Continuar con correo electrónico",
    create_account: "Crear cuenta",
    email: "Correo electrónico",
    password: "Contraseña",
    confirm_password: "Confirmar contraseña",
    log_in: "Iniciar sesión",
    log_out: "Cerrar sesión",
    confirm_account: "Confirmar cuenta",
    account_confirmed: "Tu cuenta está confirmada",
    settings: "Ajustes",
    security: "Seguridad",
    password_panel: "Contraseña",
    edit: "Editar",
    current_password: "Contraseña actual",
    new_password: "Nueva contraseña",
    confirm_new_password: "Confirmar nueva contraseña",
    update_password: "Actualizar contraseña",
    validate: "Validar",
    forgot_password: "¿Has olvidado tu contraseña?",
    restore_password: "Restablecer contraseña",
    neutral_answer: "Si la dirección de correo electrónico que has introducido corresponde a una cuenta existente, se enviará un correo de recuperación de contraseña a esta dirección.",
    success: "Ya puedes iniciar sesión con la nueva contraseña que has definido.",
};

/// French (pages put a no-break space before `?` and `:`; the suite reads any space as
/// one).
pub const FRENCH: Words = Words {
    code: "fr",
    continue_with_email: "Continuer avec l’adresse e-mail",
    create_account: "Créer un compte",
    email: "Adresse e-mail",
    password: "Mot de passe",
    confirm_password: "Confirmer le mot de passe",
    log_in: "Se connecter",
    log_out: "Se déconnecter",
    confirm_account: "Confirmer le compte",
    account_confirmed: "Votre compte est confirmé",
    settings: "Paramètres",
    security: "Sécurité",
    password_panel: "Mot de passe",
    edit: "Modifier",
    current_password: "Mot de passe actuel",
    new_password: "Nouveau mot de passe",
    confirm_new_password: "Confirmer le nouveau mot de passe",
    update_password: "Mettre à jour le mot de passe",
    validate: "Valider",
    forgot_password: "Mot de passe oublié ?",
    restore_password: "Réinitialiser le mot de passe",
    neutral_answer: "Si l’adresse e-mail saisie correspond à un compte existant, un e-mail de récupération du mot de passe sera envoyé à cette adresse.",
    success: "Vous pouvez maintenant vous connecter avec le nouveau mot de passe que vous avez défini.",
};

/// German.
pub const GERMAN: Words = Words {
    code: "de",
    continue_with_email: "Mit E-Mail fortfahren",
    create_account: "Konto erstellen",
    email: "E-Mail-Adresse",
    password: "Passwort",
    confirm_password: "Passwort bestätigen",
    log_in: "Anmelden",
    log_out: "Abmelden",
    confirm_account: "Konto bestätigen",
    account_confirmed: "Ihr Konto ist bestätigt",
    settings: "Einstellungen",
    security: "Sicherheit",
    password_panel: "Passwort",
    edit: "Ändern",
    current_password: "Aktuelles Passwort",
    new_password: "Neues Passwort",
    confirm_new_password: "Neues Passwort bestätigen",
    update_password: "Passwort ändern",
    validate: "Bestätigen",
    forgot_password: "Passwort vergessen?",
    restore_password: "Passwort zurücksetzen",
    neutral_answer: "Wenn die eingegebene E-Mail-Adresse zu einem bestehenden Konto gehört, wird eine E-Mail zur Wiederherstellung des Passworts an diese Adresse gesendet.",
    success: "Sie können sich jetzt mit dem neuen Passwort anmelden, das Sie festgelegt haben.",
};

/// The words of the language `code` (`es`, `fr-FR`), if the suite speaks it.
pub fn of(code: &str) -> Option<&'static Words> {
    let primary = code.split(['-', '_']).next().unwrap_or(code);
    [&ENGLISH, &SPANISH, &FRENCH, &GERMAN]
        .into_iter()
        .find(|w| w.code.eq_ignore_ascii_case(primary))
}

/// The language a feature file declares in its `# language: xx` line (before its first
/// keyword), if any.
pub fn declared_language(feature_source: &str) -> Option<String> {
    feature_source
        .lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with('#'))
        .find_map(|l| {
            let rest = l.trim_start_matches('#').trim();
            let (key, value) = rest.split_once(':')?;
            (key.trim() == "language").then(|| value.trim().to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_found_by_their_primary_tag() {
        assert_eq!(of("es").map(|w| w.code), Some("es"));
        assert_eq!(of("fr-CA").map(|w| w.code), Some("fr"));
        assert!(of("it").is_none());
    }

    #[test]
    fn the_language_line_is_read_before_the_feature() {
        assert_eq!(
            declared_language("# language: de\n# A comment\n@tag\nFunktionalität: x\n"),
            Some("de".into())
        );
        assert_eq!(
            declared_language("# A comment\n#language:fr\nFonctionnalité: x"),
            Some("fr".into())
        );
        assert_eq!(declared_language("Feature: x\n# language: es\n"), None);
    }
}
