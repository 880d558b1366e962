# language: de
# Der Artikel „Wie setze ich das Passwort meines Kontos im Portal zurück oder ändere es?“,
# Abschnitt „Ich kenne mein Passwort und möchte es ändern“: ein Schritt pro Zeile.
@journey
Funktionalität: Ich kenne mein Passwort und möchte es ändern
  Wenn Sie Ihr aktuelles Passwort kennen und es ändern möchten,
  können Sie den folgenden Schritten folgen.

  Grundlage:
    Angenommen ich habe ein Konto im Portal

  Szenario: Ein bekanntes Passwort über das Portal ändern
    Angenommen ich melde mich im Portal an
    Wenn ich auf das Symbol Einstellungen klicke
    Und ich auf "Sicherheit" klicke
    Und ich im Bereich Passwort auf "Ändern" klicke
    Und ich mein aktuelles Passwort eingebe, ein neues festlege und auf "Passwort ändern" klicke
    Dann sehe ich "Sie können sich jetzt mit dem neuen Passwort anmelden, das Sie festgelegt haben."
    Und ich kann mich mit dem neuen Passwort anmelden, das ich festgelegt habe
    Und ich kann mich nicht mehr mit meinem alten Passwort anmelden
