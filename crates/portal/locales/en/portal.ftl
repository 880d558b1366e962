### The portal in English, the source language: every page, email and API answer a
### person reads. The sentences of the help article are kept word for word.
### Every other language has the same messages (a test checks it).
###
### Variables: $product is the product name (PORTAL_PRODUCT_NAME). A message with a
### `.link` attribute is shown with its $link as a link whose text is that attribute.

## The language itself

# This language's name, in this language (the language switcher).
language-name = English
# Label of the language switcher.
language-switcher = Language

## Layout of every page

nav-account = Account
# Label of the settings icon in the top bar.
settings-icon = Settings
log-out = Log out
footer-api = API

## Home page

welcome-title = Welcome
welcome-heading = Welcome to { $product }
welcome-intro = Manage your account, your password and your devices.
go-to-account = Go to your account
continue-with-email = Continue with email

## Log-in

login-title = Log in
email-label = Email
password-label = Password
login-button = Log in
forgot-password-link = Forgot your password?
new-here = New here?
create-account-link = Create account

## Sign-up

signup-title = Create account
password-help = At least { $min } characters. A few unusual words make a strong password; any characters are welcome.
confirm-password-label = Confirm password
signup-button = Create account
have-account = Already have an account?
login-link = Log in
signup-sent-heading = Check your email
signup-sent = We sent an email to the address you entered. Open the link in it to finish creating your account.

## Confirming an account

confirm-title = Confirm your account
confirm-intro = Press the button to confirm your email address and activate your account.
confirm-button = Confirm account
account-confirmed-heading = Account confirmed
account-confirmed = Your account is confirmed. You can now log in.

## Forgot password (the help article's words)

forgot-title = Forgot your password?
forgot-intro = Enter the email linked to your account and we will send you a link to choose a new password.
restore-button = Restore password
recovery-neutral = If the email address you entered matches an existing account, a password recovery email will be sent to this email address.
back-to-login = Back to log in

## Choosing a new password (the help article's words)

recover-title = Choose a new password
new-password-label = New password
confirm-new-password-label = Confirm new password
validate-button = Validate
password-changed-heading = Password changed
success-sentence = You can now log in using the new password you defined.
ask-new-link = Ask for a new link

## Account and settings (the help article's words)

account-title = Your account
account-email = Email
member-since = Member since
account-settings-hint = Use the { $link } icon at the top to change your password.
    .link = Settings
settings-title = Settings
settings-sections = Settings sections
security-tab = Security
settings-choose = Choose a section: { $link } holds your password.
    .link = Security
settings-choose-language = { $link } sets the language of the emails we send you.
    .link = Language
password-panel = Password
# $date: the day of the last change, as `date` writes it.
password-last-changed = Last changed { $date }.
edit-button = Edit
password-title = Password
current-password-label = Current password
update-password-button = Update password
cancel-link = Cancel
back-to-account = Back to your account

## The language of emails (settings)

language-tab = Language
email-language-heading = Email language
email-language-intro = Emails about your account, such as password recovery links, are written in this language.
email-language-label = Language of emails
save-button = Save
email-language-saved = Saved: emails about your account are now written in this language.

## Messages shown on their own page (and some as API answers)

go-home = Go to the home page
form-expired-heading = Form expired
form-expired = This form has expired or did not come from this site. Go back, reload the page and try again.
form-unreadable-heading = Incomplete form
# $reason: what the server could not read, in technical terms.
form-unreadable = The form could not be read ({ $reason }). Go back, reload the page and try again.
unavailable-heading = Temporarily unavailable
unavailable = The service is temporarily unavailable. Try again in a moment.
internal-heading = Something went wrong
internal = Something went wrong on our side. Try again in a moment.
# Shown when even the error page cannot be shown.
internal-short = Something went wrong on our side.
not-found-heading = Page not found
not-found = There is nothing at this address.
too-large-heading = Too much data
too-large-page = What was sent is larger than this page accepts.
link-invalid-heading = Link invalid or expired
too-many-heading = Too many attempts

## Refusals (pages and API problem details)

error-invalid-credentials = The email or password is incorrect. If you just created your account, open the confirmation link we sent you first.
error-too-many-attempts = Too many attempts. Wait a few minutes and try again.
error-invalid-token = This link is invalid or has expired. Ask for a new one.
error-current-password-incorrect = Your current password is incorrect.
error-unauthenticated = Log in first.
error-busy = The service is busy. Try again in a moment.

## API answers only

api-bearer-needed = Send a valid session token: Authorization: Bearer <token>.
api-too-large = The request body is larger than 64 KiB.
# $reason: what the server could not read, in technical terms (from the JSON parser).
api-invalid-body = { $reason }
api-database-unreachable = The database cannot be reached.

## Email addresses

email-empty = Enter your email address.
email-invalid = Enter a valid email address, like name@example.com.
email-look-alike = This email address contains look-alike characters (such as full-width letters or the Kelvin sign). Type it with ordinary characters.

## New passwords

password-too-short = Your new password is too short: use at least { $min } characters (it has { $actual }).
password-too-long = Your new password is too long: use at most { $max } characters.
password-contains-email = Your new password must not contain your email address.
password-contains-product = Your new password must not contain the name of the product ({ $product }).
password-too-common = Your new password is too common or too easy to guess. Use a longer phrase of unusual words.
# $warning: one of the password-warning-* sentences.
password-too-common-because = Your new password is too common or too easy to guess. { $warning } Use a longer phrase of unusual words.
password-mismatch = The new password and its confirmation do not match.
password-warning-straight-rows = Straight rows of keys are easy to guess.
password-warning-keyboard-patterns = Short keyboard patterns are easy to guess.
password-warning-repeats = Repeats like "aaa" are easy to guess.
password-warning-repeated-groups = Repeats like "abcabcabc" are only slightly harder to guess than "abc".
password-warning-top-10 = This is a top-10 common password.
password-warning-top-100 = This is a top-100 common password.
password-warning-very-common = This is a very common password.
password-warning-similar-to-common = This is similar to a commonly used password.
password-warning-sequences = Sequences like abc or 6543 are easy to guess.
password-warning-recent-years = Recent years are easy to guess.
password-warning-single-word = A word by itself is easy to guess.
password-warning-dates = Dates are often easy to guess.
password-warning-names = Names and surnames by themselves are easy to guess.
password-warning-common-names = Common names and surnames are easy to guess.

## Dates and durations

# A day. $year, $month, $day: numbers; $month2, $day2: two digits; $month-name: month-N.
date = { $year }-{ $month2 }-{ $day2 }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
duration-seconds =
    { $count ->
        [one] { $count } second
       *[other] { $count } seconds
    }
duration-minutes =
    { $count ->
        [one] { $count } minute
       *[other] { $count } minutes
    }
duration-hours =
    { $count ->
        [one] { $count } hour
       *[other] { $count } hours
    }
duration-days =
    { $count ->
        [one] { $count } day
       *[other] { $count } days
    }

## Emails. Variables: $product, $email (the recipient), $url (the link of the email),
## $valid-for (a duration-* text), $login-url, $reset-url. Text emails keep the line
## breaks written here; HTML emails join the lines.

email-hello = Hello,
email-signature = -- { $product }
email-footer = This email was sent to { $email } by { $product }.
email-copy-address = Or copy this address into your browser: { $url }

recovery-subject = Password recovery
recovery-intro = Someone (hopefully you) asked to reset the password of your { $product } account.
recovery-open-link = To choose a new password, open this password recovery link:
recovery-button = Reset your password
recovery-expiry = The link works once and expires in { $valid-for }.
recovery-not-you = If you did not ask for this, ignore this email: your password stays as it is.

confirmation-subject = Confirm your email address
confirmation-welcome = Welcome to { $product }!
confirmation-open-link = To finish creating your account, confirm your email address by opening this link:
confirmation-intro-html = Welcome to { $product }! To finish creating your account, confirm your email address:
confirmation-button = Confirm my email address
confirmation-expiry = The link expires in { $valid-for }. If you did not create an account, ignore this email.

password-changed-subject = Your password was changed
password-changed-body =
    The password of your { $product } account ({ $email }) was just changed, and every
    device that was logged in has been logged out.
password-changed-if-you = If this was you, there is nothing else to do.
password-changed-not-you = If it was not you, reset your password now:
password-changed-not-you-html = If it was not you, { $link }.
    .link = reset your password now

signup-attempt-subject = Someone tried to sign up with your email address
signup-attempt-heading = You already have an account
signup-attempt-body =
    Someone tried to create a { $product } account with your email address ({ $email }),
    but you already have an account.
signup-attempt-body-html = Someone tried to create a { $product } account with your email address ({ $email }), but you already have one.
signup-attempt-log-in = If this was you, log in: { $login-url }
signup-attempt-log-in-html = If this was you, { $link }.
    .link = log in
signup-attempt-reset = Forgot your password? Reset it: { $reset-url }
signup-attempt-reset-html = Forgot your password? { $link }.
    .link = Reset it
signup-attempt-not-you = If it was not you, ignore this email: nothing was changed.
