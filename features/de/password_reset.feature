# language: de
# Der Artikel „Wie setze ich das Passwort meines Kontos im Portal zurück oder ändere es?“,
# Abschnitt „Ich habe mein Passwort vergessen und muss es zurücksetzen“: ein Schritt pro
# Zeile.
@journey
Funktionalität: Ich habe mein Passwort vergessen und muss es zurücksetzen
  Wenn Sie Ihr aktuelles Passwort vergessen haben und es zurücksetzen müssen, um sich
  anzumelden, folgen Sie den Schritten unten.

  Grundlage:
    Angenommen ich habe ein Konto im Portal

  Szenario: Ein vergessenes Passwort über das Portal zurücksetzen
    Angenommen ich gehe zum Portal
    Wenn ich auf "Mit E-Mail fortfahren" klicke
    Und ich auf "Passwort vergessen?" klicke
    Und ich die E-Mail-Adresse meines Kontos eingebe und auf "Passwort zurücksetzen" klicke
    Dann sehe ich "Wenn die eingegebene E-Mail-Adresse zu einem bestehenden Konto gehört, wird eine E-Mail zur Wiederherstellung des Passworts an diese Adresse gesendet."
    Und eine E-Mail zur Wiederherstellung des Passworts wird an diese Adresse gesendet
    Wenn ich meine E-Mails öffne und auf den Link zur Wiederherstellung klicke
    Und ich ein neues Passwort eingebe und bestätige
    Dann sehe ich "Sie können sich jetzt mit dem neuen Passwort anmelden, das Sie festgelegt haben."
    Und ich kann mich mit dem neuen Passwort anmelden, das ich festgelegt habe
