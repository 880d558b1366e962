### Das Portal auf Deutsch. Dieselben Nachrichten wie auf Englisch
### (locales/en/portal.ftl), wo jede Variable erklärt ist. Anrede: Sie.

## Die Sprache

language-name = Deutsch
language-switcher = Sprache

## Aufbau jeder Seite

nav-account = Konto
settings-icon = Einstellungen
log-out = Abmelden
footer-api = API

## Startseite

welcome-title = Willkommen
welcome-heading = Willkommen bei { $product }
welcome-intro = Verwalten Sie Ihr Konto, Ihr Passwort und Ihre Geräte.
go-to-account = Zu Ihrem Konto
continue-with-email = Mit E-Mail fortfahren

## Anmeldung

login-title = Anmelden
email-label = E-Mail-Adresse
password-label = Passwort
login-button = Anmelden
forgot-password-link = Passwort vergessen?
new-here = Noch kein Konto?
create-account-link = Konto erstellen

## Registrierung

signup-title = Konto erstellen
password-help = Mindestens { $min } Zeichen. Einige ungewöhnliche Wörter ergeben ein starkes Passwort; alle Zeichen sind erlaubt.
confirm-password-label = Passwort bestätigen
signup-button = Konto erstellen
have-account = Sie haben bereits ein Konto?
login-link = Anmelden
signup-sent-heading = Bitte prüfen Sie Ihre E-Mails
signup-sent = Wir haben eine E-Mail an die eingegebene Adresse gesendet. Öffnen Sie den Link darin, um die Erstellung Ihres Kontos abzuschließen.

## Konto bestätigen

confirm-title = Konto bestätigen
confirm-intro = Klicken Sie auf die Schaltfläche, um Ihre E-Mail-Adresse zu bestätigen und Ihr Konto zu aktivieren.
confirm-button = Konto bestätigen
account-confirmed-heading = Konto bestätigt
account-confirmed = Ihr Konto ist bestätigt. Sie können sich jetzt anmelden.

## Passwort vergessen

forgot-title = Passwort vergessen?
forgot-intro = Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir senden Ihnen dann einen Link, mit dem Sie ein neues Passwort festlegen können.
restore-button = Passwort zurücksetzen
recovery-neutral = Wenn die eingegebene E-Mail-Adresse zu einem bestehenden Konto gehört, wird eine E-Mail zur Wiederherstellung des Passworts an diese Adresse gesendet.
back-to-login = Zurück zur Anmeldung

## Neues Passwort

recover-title = Neues Passwort festlegen
new-password-label = Neues Passwort
confirm-new-password-label = Neues Passwort bestätigen
validate-button = Bestätigen
password-changed-heading = Passwort geändert
success-sentence = Sie können sich jetzt mit dem neuen Passwort anmelden, das Sie festgelegt haben.
ask-new-link = Neuen Link anfordern

## Konto und Einstellungen

account-title = Ihr Konto
account-email = E-Mail-Adresse
member-since = Mitglied seit
account-settings-hint = Ihr Passwort ändern Sie über das Symbol { $link } oben auf der Seite.
    .link = Einstellungen
settings-title = Einstellungen
settings-sections = Bereiche der Einstellungen
security-tab = Sicherheit
settings-choose = Wählen Sie einen Bereich: Unter { $link } finden Sie Ihr Passwort.
    .link = Sicherheit
settings-choose-language = Unter { $link } legen Sie fest, in welcher Sprache wir Ihnen E-Mails senden.
    .link = Sprache
password-panel = Passwort
password-last-changed = Zuletzt geändert am { $date }.
edit-button = Ändern
password-title = Passwort
current-password-label = Aktuelles Passwort
update-password-button = Passwort ändern
cancel-link = Abbrechen
back-to-account = Zurück zu Ihrem Konto

## Sprache der E-Mails (Einstellungen)

language-tab = Sprache
email-language-heading = Sprache der E-Mails
email-language-intro = E-Mails zu Ihrem Konto, etwa Links zum Zurücksetzen des Passworts, erhalten Sie in dieser Sprache.
email-language-label = Sprache der E-Mails
save-button = Speichern
email-language-saved = Gespeichert: E-Mails zu Ihrem Konto erhalten Sie ab jetzt in dieser Sprache.

## Meldungen auf einer eigenen Seite

go-home = Zur Startseite
form-expired-heading = Formular abgelaufen
form-expired = Dieses Formular ist abgelaufen oder stammt nicht von dieser Website. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
form-unreadable-heading = Unvollständiges Formular
form-unreadable = Das Formular konnte nicht gelesen werden ({ $reason }). Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
unavailable-heading = Vorübergehend nicht verfügbar
unavailable = Der Dienst ist vorübergehend nicht verfügbar. Versuchen Sie es gleich noch einmal.
internal-heading = Etwas ist schiefgelaufen
internal = Bei uns ist etwas schiefgelaufen. Versuchen Sie es gleich noch einmal.
internal-short = Bei uns ist etwas schiefgelaufen.
not-found-heading = Seite nicht gefunden
not-found = Unter dieser Adresse gibt es nichts.
too-large-heading = Zu viele Daten
too-large-page = Die gesendeten Daten sind größer, als diese Seite annimmt.
link-invalid-heading = Link ungültig oder abgelaufen
too-many-heading = Zu viele Versuche

## Ablehnungen (Seiten und Fehlerdetails der API)

error-invalid-credentials = E-Mail-Adresse oder Passwort ist falsch. Wenn Sie Ihr Konto gerade erst erstellt haben, öffnen Sie zuerst den Bestätigungslink, den wir Ihnen gesendet haben.
error-too-many-attempts = Zu viele Versuche. Warten Sie ein paar Minuten und versuchen Sie es dann noch einmal.
error-invalid-token = Dieser Link ist ungültig oder abgelaufen. Fordern Sie einen neuen an.
error-current-password-incorrect = Ihr aktuelles Passwort ist falsch.
error-unauthenticated = Melden Sie sich zuerst an.
error-busy = Der Dienst ist gerade ausgelastet. Versuchen Sie es gleich noch einmal.

## Nur in der API

api-bearer-needed = Senden Sie ein gültiges Sitzungstoken: Authorization: Bearer <token>.
api-too-large = Der Anfragetext ist größer als 64 KiB.
api-invalid-body = Der Anfragetext konnte nicht gelesen werden: { $reason }
api-database-unreachable = Die Datenbank ist nicht erreichbar.

## E-Mail-Adressen

email-empty = Geben Sie Ihre E-Mail-Adresse ein.
email-invalid = Geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.
email-look-alike = Diese E-Mail-Adresse enthält Zeichen, die anderen nur ähneln (etwa Buchstaben in voller Breite oder das Kelvin-Zeichen). Geben Sie sie mit gewöhnlichen Zeichen ein.

## Neue Passwörter

password-too-short = Ihr neues Passwort ist zu kurz: Verwenden Sie mindestens { $min } Zeichen (bisher { $actual }).
password-too-long = Ihr neues Passwort ist zu lang: Verwenden Sie höchstens { $max } Zeichen.
password-contains-email = Ihr neues Passwort darf Ihre E-Mail-Adresse nicht enthalten.
password-contains-product = Ihr neues Passwort darf den Namen des Produkts ({ $product }) nicht enthalten.
password-too-common = Ihr neues Passwort ist zu verbreitet oder zu leicht zu erraten. Verwenden Sie eine längere Wortfolge aus ungewöhnlichen Wörtern.
password-too-common-because = Ihr neues Passwort ist zu verbreitet oder zu leicht zu erraten. { $warning } Verwenden Sie eine längere Wortfolge aus ungewöhnlichen Wörtern.
password-mismatch = Das neue Passwort und seine Bestätigung stimmen nicht überein.
password-warning-straight-rows = Gerade Tastenreihen sind leicht zu erraten.
password-warning-keyboard-patterns = Kurze Tastaturmuster sind leicht zu erraten.
password-warning-repeats = Wiederholungen wie „aaa“ sind leicht zu erraten.
password-warning-repeated-groups = Wiederholungen wie „abcabcabc“ sind kaum schwerer zu erraten als „abc“.
password-warning-top-10 = Dies ist eines der 10 häufigsten Passwörter.
password-warning-top-100 = Dies ist eines der 100 häufigsten Passwörter.
password-warning-very-common = Dies ist ein sehr häufiges Passwort.
password-warning-similar-to-common = Dies ähnelt einem häufig verwendeten Passwort.
password-warning-sequences = Folgen wie abc oder 6543 sind leicht zu erraten.
password-warning-recent-years = Jahreszahlen der letzten Jahre sind leicht zu erraten.
password-warning-single-word = Ein einzelnes Wort ist leicht zu erraten.
password-warning-dates = Datumsangaben sind oft leicht zu erraten.
password-warning-names = Vor- und Nachnamen allein sind leicht zu erraten.
password-warning-common-names = Häufige Vor- und Nachnamen sind leicht zu erraten.

## Datum und Dauer

date = { $day }. { $month-name } { $year }
month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember
# Im Satz „… ist { $valid-for } lang gültig“.
duration-seconds =
    { $count ->
        [one] { $count } Sekunde
       *[other] { $count } Sekunden
    }
duration-minutes =
    { $count ->
        [one] { $count } Minute
       *[other] { $count } Minuten
    }
duration-hours =
    { $count ->
        [one] { $count } Stunde
       *[other] { $count } Stunden
    }
duration-days =
    { $count ->
        [one] { $count } Tag
       *[other] { $count } Tage
    }

## E-Mails

email-hello = Hallo,
email-signature = -- { $product }
email-footer = Diese E-Mail wurde von { $product } an { $email } gesendet.
email-copy-address = Oder kopieren Sie diese Adresse in Ihren Browser: { $url }

recovery-subject = Passwort-Wiederherstellung
recovery-intro = Jemand (hoffentlich Sie) hat angefordert, das Passwort Ihres Kontos bei { $product } zurückzusetzen.
recovery-open-link = Um ein neues Passwort festzulegen, öffnen Sie diesen Link zur Passwort-Wiederherstellung:
recovery-button = Passwort zurücksetzen
recovery-expiry = Der Link funktioniert nur einmal und ist { $valid-for } lang gültig.
recovery-not-you = Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert.

confirmation-subject = Bestätigen Sie Ihre E-Mail-Adresse
confirmation-welcome = Willkommen bei { $product }!
confirmation-open-link = Um die Erstellung Ihres Kontos abzuschließen, bestätigen Sie Ihre E-Mail-Adresse über diesen Link:
confirmation-intro-html = Willkommen bei { $product }! Um die Erstellung Ihres Kontos abzuschließen, bestätigen Sie Ihre E-Mail-Adresse:
confirmation-button = E-Mail-Adresse bestätigen
confirmation-expiry = Der Link ist { $valid-for } lang gültig. Wenn Sie kein Konto erstellt haben, ignorieren Sie diese E-Mail.

password-changed-subject = Ihr Passwort wurde geändert
password-changed-body =
    Das Passwort Ihres Kontos bei { $product } ({ $email }) wurde soeben geändert, und alle
    Geräte, die angemeldet waren, wurden abgemeldet.
password-changed-if-you = Wenn Sie das waren, müssen Sie nichts weiter tun.
password-changed-not-you = Wenn Sie das nicht waren, setzen Sie Ihr Passwort jetzt zurück:
password-changed-not-you-html = Wenn Sie das nicht waren, { $link }.
    .link = setzen Sie Ihr Passwort jetzt zurück

signup-attempt-subject = Jemand hat versucht, sich mit Ihrer E-Mail-Adresse zu registrieren
signup-attempt-heading = Sie haben bereits ein Konto
signup-attempt-body =
    Jemand hat versucht, mit Ihrer E-Mail-Adresse ({ $email }) ein Konto bei { $product }
    zu erstellen, aber Sie haben bereits ein Konto.
signup-attempt-body-html = Jemand hat versucht, mit Ihrer E-Mail-Adresse ({ $email }) ein Konto bei { $product } zu erstellen, aber Sie haben bereits eines.
signup-attempt-log-in = Wenn Sie das waren, melden Sie sich an: { $login-url }
signup-attempt-log-in-html = Wenn Sie das waren, { $link }.
    .link = melden Sie sich an
signup-attempt-reset = Passwort vergessen? Setzen Sie es zurück: { $reset-url }
signup-attempt-reset-html = Passwort vergessen? { $link }.
    .link = Setzen Sie es zurück
signup-attempt-not-you = Wenn Sie das nicht waren, ignorieren Sie diese E-Mail: Es wurde nichts geändert.
