//! Parse-don't-validate newtypes: once a value of these types exists, it is valid.

mod email;
mod hash;
mod password;
mod token;

pub use email::{EmailAddress, EmailError};
pub use hash::{HashError, PasswordHash};
pub use password::{Password, PasswordPolicy, PasswordRejection, Weakness};
pub use token::{SecretToken, TokenHash};
