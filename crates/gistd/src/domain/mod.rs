//! Protocol and business rules with no I/O: secrets and their hashes, scopes,
//! redirect-URI matching, PKCE, passwords, validated names, and the clock.

pub mod clock;
pub mod names;
pub mod password;
pub mod pkce;
pub mod redirect_uri;
pub mod scope;
pub mod secret;
