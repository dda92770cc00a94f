//! PKCE with the S256 method (RFC 7636): a random verifier kept by the app and its
//! SHA-256 challenge sent in the authorization URL.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;

/// A PKCE code verifier: 43 characters from 256 random bits.
///
/// Keep it where the callback can find it (the user's session) and pass it to
/// [`OAuthClient::exchange_code`](super::OAuthClient::exchange_code). Its `Debug` output
/// hides the value, since whoever holds it can redeem an intercepted code.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// A new random verifier (RFC 7636 section 4.1: 32 random octets, base64url).
    pub fn generate() -> PkceVerifier {
        PkceVerifier(random_token())
    }

    /// A verifier kept from earlier, such as one read back from a session.
    pub fn new(value: impl Into<String>) -> PkceVerifier {
        PkceVerifier(value.into())
    }

    /// The verifier itself, to store or to send to the token endpoint.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The S256 challenge: base64url(SHA-256(verifier)) without padding (section 4.2).
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier(<redacted>)")
    }
}

/// 256 random bits, base64url without padding: 43 URL-safe characters.
pub(crate) fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_matches_the_rfc_7636_example() {
        // RFC 7636 appendix B.
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            verifier.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_verifiers_are_43_url_safe_characters_and_differ() {
        let one = PkceVerifier::generate();
        let two = PkceVerifier::generate();
        assert_eq!(one.secret().len(), 43);
        assert!(
            one.secret()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(one, two);
        assert!(!format!("{one:?}").contains(one.secret()));
    }
}
