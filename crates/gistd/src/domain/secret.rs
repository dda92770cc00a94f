//! Secrets: generation, redaction and hashing.
//!
//! Every bearer artifact gistd issues (access and refresh tokens, authorization codes,
//! client secrets, workspace API keys, session ids) is 256 bits from the operating
//! system's CSPRNG, base64url-encoded behind a prefix that names its kind, so a leaked
//! string is recognisable in a scanner or a log. Only a SHA-256 hash is stored: the
//! values are high-entropy, so a fast hash is as safe as a slow one and keeps the token
//! endpoint fast.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// The kinds of secret gistd issues, each with its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// An OAuth access token.
    AccessToken,
    /// An OAuth refresh token.
    RefreshToken,
    /// A one-time authorization code.
    AuthorizationCode,
    /// An app's client secret.
    ClientSecret,
    /// A workspace API key.
    ApiKey,
    /// A browser session id.
    Session,
    /// A CSRF token for forms shown before log-in.
    Csrf,
}

impl SecretKind {
    /// The prefix that starts every secret of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::AccessToken => "gat_",
            SecretKind::RefreshToken => "grt_",
            SecretKind::AuthorizationCode => "gac_",
            SecretKind::ClientSecret => "gcs_",
            SecretKind::ApiKey => "gsk_",
            SecretKind::Session => "gss_",
            SecretKind::Csrf => "gcf_",
        }
    }

    /// The kind a presented string claims to be, by its prefix.
    pub fn of(value: &str) -> Option<SecretKind> {
        [
            SecretKind::AccessToken,
            SecretKind::RefreshToken,
            SecretKind::AuthorizationCode,
            SecretKind::ClientSecret,
            SecretKind::ApiKey,
            SecretKind::Session,
            SecretKind::Csrf,
        ]
        .into_iter()
        .find(|kind| value.starts_with(kind.prefix()))
    }
}

/// A secret value whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value received from outside (a password, a presented token).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// A fresh random secret of `kind`: its prefix and 256 random bits.
    pub fn generate(kind: SecretKind) -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Secret(format!(
            "{}{}",
            kind.prefix(),
            URL_SAFE_NO_PAD.encode(bytes)
        ))
    }

    /// The value itself, for the few places that must send or hash it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 hash under which this secret is stored.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }

    /// A short, safe reminder of the value for listings: its prefix and last four
    /// characters.
    pub fn hint(&self) -> String {
        let prefix = SecretKind::of(&self.0)
            .map(SecretKind::prefix)
            .unwrap_or("");
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{prefix}…{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The stored form of a secret: lower-case hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    /// Hashes `value`.
    pub fn of(value: &str) -> Self {
        SecretHash(hex(&Sha256::digest(value.as_bytes())))
    }

    /// Wraps a hash read from storage.
    pub fn from_stored(hash: String) -> Self {
        SecretHash(hash)
    }

    /// The hex string, for storage queries.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares two hashes in constant time.
    pub fn matches(&self, other: &SecretHash) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && bool::from(left.ct_eq(right))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 0xf) as usize] as char);
    }
    out
}

/// Base64url (no padding) of SHA-256 of `value`: PKCE's S256 transform, and the CSRF
/// token derived from a session id.
pub fn sha256_base64url(value: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_carry_their_prefix_and_256_bits() {
        let token = Secret::generate(SecretKind::AccessToken);
        assert!(token.expose().starts_with("gat_"));
        assert_eq!(token.expose().len(), 4 + 43);
        assert_ne!(token, Secret::generate(SecretKind::AccessToken));
        assert_eq!(
            SecretKind::of(token.expose()),
            Some(SecretKind::AccessToken)
        );
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?} {secret}").contains("hunter2"));
    }

    #[test]
    fn hashes_compare_by_value() {
        let secret = Secret::new("abc");
        assert!(secret.hash().matches(&SecretHash::of("abc")));
        assert!(!secret.hash().matches(&SecretHash::of("abd")));
        assert_eq!(
            SecretHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hint_shows_prefix_and_last_four_only() {
        let secret = Secret::new("gsk_abcdefghijkl");
        assert_eq!(secret.hint(), "gsk_…ijkl");
    }
}
