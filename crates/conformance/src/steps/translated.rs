//! The journeys' steps as the Spanish, French and German features say them (`# language:
//! es|fr|de`): each step here is the same World call as its English twin, one pattern
//! per concept with one alternative per language. The World speaks the feature's
//! language ([`PortalWorld::speak`]), so the gestures it makes on its own (signing up,
//! logging in) use that language's words.

use cucumber::{given, then, when};

use crate::world::{PortalWorld, StepFailure};

type Outcome = Result<(), StepFailure>;

#[given(
    regex = r"^(?:que tengo una cuenta en el portal|j’ai un compte sur le portail|ich habe ein Konto im Portal)$"
)]
async fn have_account(w: &mut PortalWorld) -> Outcome {
    step!(w, w.create_account().await)
}

#[given(regex = r"^(?:que voy al portal|je vais sur le portail|ich gehe zum Portal)$")]
#[when(regex = r"^(?:voy al portal|je vais sur le portail|ich zum Portal gehe)$")]
async fn go_to_portal(w: &mut PortalWorld) -> Outcome {
    step!(w, w.go_to_portal().await)
}

#[given(regex = r#"^(?:hago clic en|je clique sur) "([^"]+)"$"#)]
#[when(regex = r#"^(?:hago clic en|je clique sur) "([^"]+)"$"#)]
async fn click(w: &mut PortalWorld, name: String) -> Outcome {
    step!(w, w.click_said(&name).await)
}

#[given(regex = r#"^ich auf "([^"]+)" klicke$"#)]
#[when(regex = r#"^ich auf "([^"]+)" klicke$"#)]
async fn click_de(w: &mut PortalWorld, name: String) -> Outcome {
    step!(w, w.click_said(&name).await)
}

#[when(regex = r"^(?:hago clic en el icono de|je clique sur l’icône) ([^\x22]+)$")]
async fn click_icon(w: &mut PortalWorld, name: String) -> Outcome {
    step!(w, w.click_said(&name).await)
}

#[when(regex = r"^ich auf das Symbol ([^\x22]+) klicke$")]
async fn click_icon_de(w: &mut PortalWorld, name: String) -> Outcome {
    step!(w, w.click_said(&name).await)
}

#[when(
    regex = r#"^(?:en el panel (.+) hago clic en|dans le panneau (.+), je clique sur) "([^"]+)"$"#
)]
async fn click_in_panel(w: &mut PortalWorld, _es: String, _fr: String, name: String) -> Outcome {
    step!(w, w.click_in_password_panel(&name).await)
}

#[when(regex = r#"^ich im Bereich (.+) auf "([^"]+)" klicke$"#)]
async fn click_in_panel_de(w: &mut PortalWorld, _panel: String, name: String) -> Outcome {
    step!(w, w.click_in_password_panel(&name).await)
}

#[when(
    regex = r#"^(?:introduzco el correo electrónico asociado a mi cuenta y hago clic en|je saisis l’adresse e-mail associée à mon compte et je clique sur|ich die E-Mail-Adresse meines Kontos eingebe und auf) "([^"]+)"(?: klicke)?$"#
)]
async fn enter_email_and_click(w: &mut PortalWorld, button: String) -> Outcome {
    step!(w, w.enter_email_and_click(&button).await)
}

#[then(regex = r#"^(?:veo|je vois|sehe ich) "([^"]+)"$"#)]
async fn see(w: &mut PortalWorld, sentence: String) -> Outcome {
    step!(w, w.see(&sentence).await)
}

#[then(
    regex = r"^(?:se envía un correo de recuperación de contraseña a esta dirección|un e-mail de récupération du mot de passe est envoyé à cette adresse|eine E-Mail zur Wiederherstellung des Passworts wird an diese Adresse gesendet)$"
)]
async fn recovery_email(w: &mut PortalWorld) -> Outcome {
    step!(
        w,
        async {
            w.recovery_email_arrives().await?;
            w.recovery_email_is_in_my_language()
        }
        .await
    )
}

#[when(
    regex = r"^(?:voy a mis correos y hago clic en el enlace de recuperación|je vais dans mes e-mails et je clique sur le lien de récupération|ich meine E-Mails öffne und auf den Link zur Wiederherstellung klicke)$"
)]
async fn click_recovery_link(w: &mut PortalWorld) -> Outcome {
    step!(w, w.click_recovery_link().await)
}

#[when(
    regex = r"^(?:introduzco una nueva contraseña y valido|je saisis un nouveau mot de passe et je valide|ich ein neues Passwort eingebe und bestätige)$"
)]
async fn enter_new_password(w: &mut PortalWorld) -> Outcome {
    step!(w, w.enter_new_password_and_validate().await)
}

#[then(
    regex = r"^(?:puedo iniciar sesión con la nueva contraseña que he definido|je peux me connecter avec le nouveau mot de passe que j’ai défini|ich kann mich mit dem neuen Passwort anmelden, das ich festgelegt habe)$"
)]
async fn can_log_in_new(w: &mut PortalWorld) -> Outcome {
    step!(w, w.can_log_in_with_current_password().await)
}

#[then(
    regex = r"^(?:ya no puedo iniciar sesión con mi contraseña anterior|je ne peux plus me connecter avec mon ancien mot de passe|ich kann mich nicht mehr mit meinem alten Passwort anmelden)$"
)]
async fn cannot_log_in_old(w: &mut PortalWorld) -> Outcome {
    step!(w, w.cannot_log_in_with_old_password().await)
}

#[given(
    regex = r"^(?:que inicio sesión en el portal|je me connecte au portail|ich melde mich im Portal an)$"
)]
async fn log_in(w: &mut PortalWorld) -> Outcome {
    step!(w, w.log_in().await)
}

#[when(
    regex = r#"^(?:introduzco mi contraseña actual, defino una nueva y hago clic en|je saisis mon mot de passe actuel, j’en définis un nouveau et je clique sur|ich mein aktuelles Passwort eingebe, ein neues festlege und auf) "([^"]+)"(?: klicke)?$"#
)]
async fn enter_current_and_new(w: &mut PortalWorld, button: String) -> Outcome {
    step!(w, w.enter_current_and_new_password(&button).await)
}
