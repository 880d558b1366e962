### Le portail en français. Mêmes messages qu’en anglais (locales/en/portal.ftl), qui
### explique chaque variable. Espaces insécables avant « ? ! : ; » et dans les guillemets.

## La langue

language-name = Français
language-switcher = Langue

## Structure de chaque page

nav-account = Compte
settings-icon = Paramètres
log-out = Se déconnecter
footer-api = API

## Accueil

welcome-title = Bienvenue
welcome-heading = Bienvenue sur { $product }
welcome-intro = Gérez votre compte, votre mot de passe et vos appareils.
go-to-account = Accéder à votre compte
continue-with-email = Continuer avec l’adresse e-mail

## Connexion

login-title = Connexion
email-label = Adresse e-mail
password-label = Mot de passe
login-button = Se connecter
forgot-password-link = Mot de passe oublié ?
new-here = Pas encore de compte ?
create-account-link = Créer un compte

## Inscription

signup-title = Créer un compte
password-help = Au moins { $min } caractères. Quelques mots inhabituels font un mot de passe solide ; tous les caractères sont acceptés.
confirm-password-label = Confirmer le mot de passe
signup-button = Créer un compte
have-account = Vous avez déjà un compte ?
login-link = Se connecter
signup-sent-heading = Consultez vos e-mails
signup-sent = Nous avons envoyé un e-mail à l’adresse saisie. Ouvrez le lien qu’il contient pour terminer la création de votre compte.

## Confirmation du compte

confirm-title = Confirmez votre compte
confirm-intro = Appuyez sur le bouton pour confirmer votre adresse e-mail et activer votre compte.
confirm-button = Confirmer le compte
account-confirmed-heading = Compte confirmé
account-confirmed = Votre compte est confirmé. Vous pouvez maintenant vous connecter.

## Mot de passe oublié

forgot-title = Mot de passe oublié ?
forgot-intro = Saisissez l’adresse e-mail associée à votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.
restore-button = Réinitialiser le mot de passe
recovery-neutral = Si l’adresse e-mail saisie correspond à un compte existant, un e-mail de récupération du mot de passe sera envoyé à cette adresse.
back-to-login = Retour à la connexion

## Nouveau mot de passe

recover-title = Choisissez un nouveau mot de passe
new-password-label = Nouveau mot de passe
confirm-new-password-label = Confirmer le nouveau mot de passe
validate-button = Valider
password-changed-heading = Mot de passe modifié
success-sentence = Vous pouvez maintenant vous connecter avec le nouveau mot de passe que vous avez défini.
ask-new-link = Demander un nouveau lien

## Compte et paramètres

account-title = Votre compte
account-email = Adresse e-mail
member-since = Membre depuis le
account-settings-hint = Pour modifier votre mot de passe, utilisez l’icône { $link } en haut de la page.
    .link = Paramètres
settings-title = Paramètres
settings-sections = Sections des paramètres
security-tab = Sécurité
settings-choose = Choisissez une section : votre mot de passe se trouve dans { $link }.
    .link = Sécurité
settings-choose-language = { $link } permet de choisir la langue des e-mails que nous vous envoyons.
    .link = Langue
password-panel = Mot de passe
password-last-changed = Dernière modification le { $date }.
edit-button = Modifier
password-title = Mot de passe
current-password-label = Mot de passe actuel
update-password-button = Mettre à jour le mot de passe
cancel-link = Annuler
back-to-account = Retour à votre compte

## Langue des e-mails (paramètres)

language-tab = Langue
email-language-heading = Langue des e-mails
email-language-intro = Les e-mails concernant votre compte, comme les liens de récupération du mot de passe, sont rédigés dans cette langue.
email-language-label = Langue des e-mails
save-button = Enregistrer
email-language-saved = C’est enregistré : les e-mails concernant votre compte seront désormais rédigés dans cette langue.

## Messages affichés sur une page à part

go-home = Aller à la page d’accueil
form-expired-heading = Formulaire expiré
form-expired = Ce formulaire a expiré ou ne provient pas de ce site. Revenez en arrière, rechargez la page et réessayez.
form-unreadable-heading = Formulaire incomplet
form-unreadable = Le formulaire n’a pas pu être lu ({ $reason }). Revenez en arrière, rechargez la page et réessayez.
unavailable-heading = Service momentanément indisponible
unavailable = Le service est momentanément indisponible. Réessayez dans un instant.
internal-heading = Une erreur s’est produite
internal = Une erreur s’est produite de notre côté. Réessayez dans un instant.
internal-short = Une erreur s’est produite de notre côté.
not-found-heading = Page introuvable
not-found = Il n’y a rien à cette adresse.
too-large-heading = Trop de données
too-large-page = Les données envoyées dépassent ce que cette page accepte.
link-invalid-heading = Lien non valide ou expiré
too-many-heading = Trop de tentatives

## Refus (pages et détails de l’API)

error-invalid-credentials = L’adresse e-mail ou le mot de passe est incorrect. Si vous venez de créer votre compte, ouvrez d’abord le lien de confirmation que nous vous avons envoyé.
error-too-many-attempts = Trop de tentatives. Patientez quelques minutes, puis réessayez.
error-invalid-token = Ce lien n’est pas valide ou a expiré. Demandez-en un nouveau.
error-current-password-incorrect = Votre mot de passe actuel est incorrect.
error-unauthenticated = Connectez-vous d’abord.
error-busy = Le service est surchargé. Réessayez dans un instant.

## API uniquement

api-bearer-needed = Envoyez un jeton de session valide : Authorization: Bearer <token>.
api-too-large = Le corps de la requête dépasse 64 Kio.
api-invalid-body = Le corps de la requête n’a pas pu être lu : { $reason }
api-database-unreachable = La base de données est injoignable.

## Adresses e-mail

email-empty = Saisissez votre adresse e-mail.
email-invalid = Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.
email-look-alike = Cette adresse e-mail contient des caractères trompeurs (comme des lettres pleine chasse ou le symbole kelvin). Saisissez-la avec des caractères ordinaires.

## Nouveaux mots de passe

password-too-short = Votre nouveau mot de passe est trop court : utilisez au moins { $min } caractères (il en compte { $actual }).
password-too-long = Votre nouveau mot de passe est trop long : utilisez au plus { $max } caractères.
password-contains-email = Votre nouveau mot de passe ne doit pas contenir votre adresse e-mail.
password-contains-product = Votre nouveau mot de passe ne doit pas contenir le nom du produit ({ $product }).
password-too-common = Votre nouveau mot de passe est trop courant ou trop facile à deviner. Utilisez une phrase plus longue, faite de mots inhabituels.
password-too-common-because = Votre nouveau mot de passe est trop courant ou trop facile à deviner. { $warning } Utilisez une phrase plus longue, faite de mots inhabituels.
password-mismatch = Le nouveau mot de passe et sa confirmation ne correspondent pas.
password-warning-straight-rows = Les rangées de touches sont faciles à deviner.
password-warning-keyboard-patterns = Les petits motifs sur le clavier sont faciles à deviner.
password-warning-repeats = Les répétitions comme « aaa » sont faciles à deviner.
password-warning-repeated-groups = Les répétitions comme « abcabcabc » sont à peine plus difficiles à deviner que « abc ».
password-warning-top-10 = Ce mot de passe fait partie des 10 plus courants.
password-warning-top-100 = Ce mot de passe fait partie des 100 plus courants.
password-warning-very-common = Ce mot de passe est très courant.
password-warning-similar-to-common = Ce mot de passe ressemble à un mot de passe très utilisé.
password-warning-sequences = Les suites comme abc ou 6543 sont faciles à deviner.
password-warning-recent-years = Les années récentes sont faciles à deviner.
password-warning-single-word = Un mot seul est facile à deviner.
password-warning-dates = Les dates sont souvent faciles à deviner.
password-warning-names = Les noms et prénoms seuls sont faciles à deviner.
password-warning-common-names = Les noms et prénoms courants sont faciles à deviner.

## Dates et durées

date =
    { $day ->
        [1] 1er
       *[other] { $day }
    } { $month-name } { $year }
month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
duration-seconds =
    { $count ->
        [one] { $count } seconde
       *[other] { $count } secondes
    }
duration-minutes =
    { $count ->
        [one] { $count } minute
       *[other] { $count } minutes
    }
duration-hours =
    { $count ->
        [one] { $count } heure
       *[other] { $count } heures
    }
duration-days =
    { $count ->
        [one] { $count } jour
       *[other] { $count } jours
    }

## E-mails

email-hello = Bonjour,
email-signature = -- { $product }
email-footer = Cet e-mail a été envoyé à { $email } par { $product }.
email-copy-address = Ou copiez cette adresse dans votre navigateur : { $url }

recovery-subject = Récupération du mot de passe
recovery-intro = Quelqu’un (vous, nous l’espérons) a demandé à réinitialiser le mot de passe de votre compte { $product }.
recovery-open-link = Pour choisir un nouveau mot de passe, ouvrez ce lien de récupération du mot de passe :
recovery-button = Réinitialiser votre mot de passe
recovery-expiry = Ce lien ne fonctionne qu’une fois et expire dans { $valid-for }.
recovery-not-you = Si vous n’êtes pas à l’origine de cette demande, ignorez cet e-mail : votre mot de passe reste inchangé.

confirmation-subject = Confirmez votre adresse e-mail
confirmation-welcome = Bienvenue sur { $product } !
confirmation-open-link = Pour terminer la création de votre compte, confirmez votre adresse e-mail en ouvrant ce lien :
confirmation-intro-html = Bienvenue sur { $product } ! Pour terminer la création de votre compte, confirmez votre adresse e-mail :
confirmation-button = Confirmer mon adresse e-mail
confirmation-expiry = Ce lien expire dans { $valid-for }. Si vous n’avez pas créé de compte, ignorez cet e-mail.

password-changed-subject = Votre mot de passe a été modifié
password-changed-body =
    Le mot de passe de votre compte { $product } ({ $email }) vient d’être modifié, et tous
    les appareils qui y étaient connectés ont été déconnectés.
password-changed-if-you = Si c’était vous, vous n’avez rien d’autre à faire.
password-changed-not-you = Si ce n’était pas vous, réinitialisez votre mot de passe dès maintenant :
password-changed-not-you-html = Si ce n’était pas vous, { $link }.
    .link = réinitialisez votre mot de passe dès maintenant

signup-attempt-subject = Quelqu’un a essayé de s’inscrire avec votre adresse e-mail
signup-attempt-heading = Vous avez déjà un compte
signup-attempt-body =
    Quelqu’un a essayé de créer un compte { $product } avec votre adresse e-mail ({ $email }),
    mais vous avez déjà un compte.
signup-attempt-body-html = Quelqu’un a essayé de créer un compte { $product } avec votre adresse e-mail ({ $email }), mais vous en avez déjà un.
signup-attempt-log-in = Si c’était vous, connectez-vous : { $login-url }
signup-attempt-log-in-html = Si c’était vous, { $link }.
    .link = connectez-vous
signup-attempt-reset = Mot de passe oublié ? Réinitialisez-le : { $reset-url }
signup-attempt-reset-html = Mot de passe oublié ? { $link }.
    .link = Réinitialisez-le
signup-attempt-not-you = Si ce n’était pas vous, ignorez cet e-mail : rien n’a été modifié.
