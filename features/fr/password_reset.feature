# language: fr
# L’article « Comment réinitialiser ou modifier le mot de passe de votre compte depuis le
# portail ? », section « J’ai oublié mon mot de passe et je dois le réinitialiser » : une
# étape par ligne.
@journey
Fonctionnalité: J’ai oublié mon mot de passe et je dois le réinitialiser
  Si vous avez oublié votre mot de passe actuel et devez le réinitialiser pour vous
  connecter, suivez les étapes ci-dessous.

  Contexte:
    Étant donné que j’ai un compte sur le portail

  Scénario: Réinitialiser un mot de passe oublié depuis le portail
    Étant donné que je vais sur le portail
    Quand je clique sur "Continuer avec l’adresse e-mail"
    Et je clique sur "Mot de passe oublié ?"
    Et je saisis l’adresse e-mail associée à mon compte et je clique sur "Réinitialiser le mot de passe"
    Alors je vois "Si l’adresse e-mail saisie correspond à un compte existant, un e-mail de récupération du mot de passe sera envoyé à cette adresse."
    Et un e-mail de récupération du mot de passe est envoyé à cette adresse
    Quand je vais dans mes e-mails et je clique sur le lien de récupération
    Et je saisis un nouveau mot de passe et je valide
    Alors je vois "Vous pouvez maintenant vous connecter avec le nouveau mot de passe que vous avez défini."
    Et je peux me connecter avec le nouveau mot de passe que j’ai défini
