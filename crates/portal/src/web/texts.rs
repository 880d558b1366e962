//! Every sentence the pages and the API show a person, in one place (and one language
//! for now): the help article's own words where it has them, ready for translation.
//! Texts of domain errors (a refused password, a malformed address) are the `Display`
//! of those errors.

/// After a successful reset or change (the article's words).
pub const SUCCESS_SENTENCE: &str = "You can now log in using the new password you defined.";
/// After any recovery request, whatever the address (the article's words).
pub const NEUTRAL_SENTENCE: &str = "If the email address you entered matches an existing account, a password recovery email will be sent to this email address.";
/// After any sign-up, whatever the address.
pub const SIGNUP_SENT: &str = "We sent an email to the address you entered. Open the link in it to finish creating your account.";
/// Heading of [`SIGNUP_SENT`].
pub const SIGNUP_SENT_HEADING: &str = "Check your email";
/// After the confirmation link's button.
pub const ACCOUNT_CONFIRMED: &str = "Your account is confirmed. You can now log in.";
/// Heading of [`ACCOUNT_CONFIRMED`].
pub const ACCOUNT_CONFIRMED_HEADING: &str = "Account confirmed";
/// Heading of [`SUCCESS_SENTENCE`].
pub const PASSWORD_CHANGED_HEADING: &str = "Password changed";
/// A form without a valid CSRF token.
pub const FORM_EXPIRED: &str =
    "This form has expired or did not come from this site. Go back, reload the page and try again.";
/// Heading of [`FORM_EXPIRED`].
pub const FORM_EXPIRED_HEADING: &str = "Form expired";
/// A form that could not be read (the reason follows in parentheses).
pub const FORM_UNREADABLE_HEADING: &str = "Incomplete form";
/// The database or the hashing pool cannot serve now.
pub const UNAVAILABLE: &str = "The service is temporarily unavailable. Try again in a moment.";
/// Heading of [`UNAVAILABLE`].
pub const UNAVAILABLE_HEADING: &str = "Temporarily unavailable";
/// A bug; the details are in the log, never on the page.
pub const INTERNAL: &str = "Something went wrong on our side. Try again in a moment.";
/// Heading of [`INTERNAL`].
pub const INTERNAL_HEADING: &str = "Something went wrong";
/// No such page or API path.
pub const NOT_FOUND: &str = "There is nothing at this address.";
/// Heading of [`NOT_FOUND`].
pub const NOT_FOUND_HEADING: &str = "Page not found";
/// A page's body over the limit.
pub const TOO_LARGE_PAGE: &str = "What was sent is larger than this page accepts.";
/// An API body over the limit.
pub const TOO_LARGE_API: &str = "The request body is larger than 64 KiB.";
/// Heading of [`TOO_LARGE_PAGE`].
pub const TOO_LARGE_HEADING: &str = "Too much data";
/// An API call without a valid bearer token.
pub const BEARER_NEEDED: &str = "Send a valid session token: Authorization: Bearer <token>.";
/// `/readyz` while the database is down.
pub const DATABASE_UNREACHABLE: &str = "The database cannot be reached.";
/// A used, expired or unknown link.
pub const LINK_INVALID_HEADING: &str = "Link invalid or expired";
/// A rate limit.
pub const TOO_MANY_HEADING: &str = "Too many attempts";
/// The usual way onwards.
pub const GO_HOME: &str = "Go to the home page";
