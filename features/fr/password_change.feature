# language: fr
# L’article « Comment réinitialiser ou modifier le mot de passe de votre compte depuis le
# portail ? », section « Je connais mon mot de passe et je veux le modifier » : une étape
# par ligne.
@journey
Fonctionnalité: Je connais mon mot de passe et je veux le modifier
  Si vous connaissez votre mot de passe actuel et devez le modifier,
  vous pouvez suivre les étapes ci-dessous.

  Contexte:
    Étant donné que j’ai un compte sur le portail

  Scénario: Modifier un mot de passe connu depuis le portail
    Étant donné que je me connecte au portail
    Quand je clique sur l’icône Paramètres
    Et je clique sur "Sécurité"
    Et dans le panneau Mot de passe, je clique sur "Modifier"
    Et je saisis mon mot de passe actuel, j’en définis un nouveau et je clique sur "Mettre à jour le mot de passe"
    Alors je vois "Vous pouvez maintenant vous connecter avec le nouveau mot de passe que vous avez défini."
    Et je peux me connecter avec le nouveau mot de passe que j’ai défini
    Et je ne peux plus me connecter avec mon ancien mot de passe
