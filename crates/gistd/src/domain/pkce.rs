//! PKCE (RFC 7636) with the S256 method only.
//!
//! `plain` is refused: it protects nothing once the authorization request leaks, and
//! RFC 9700 section 2.1.1 asks servers to prefer S256. A code issued with a challenge
//! needs the matching verifier, and a code issued without one refuses any verifier, so a
//! client cannot be downgraded (RFC 9700 section 4.8).

use super::secret::{constant_time_eq, sha256_base64url};

/// Why a PKCE parameter is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// A method other than S256.
    #[error("code_challenge_method must be S256")]
    UnsupportedMethod,
    /// A challenge that is not 43 base64url characters.
    #[error("code_challenge must be 43 base64url characters (the S256 hash of the verifier)")]
    MalformedChallenge,
    /// A verifier of the wrong length or alphabet.
    #[error("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")]
    MalformedVerifier,
}

/// An S256 code challenge sent at the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Validates a challenge and its method; an absent method means `plain` (RFC 7636
    /// section 4.3) and is refused like an explicit one.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<CodeChallenge, PkceError> {
        if method != Some("S256") {
            return Err(PkceError::UnsupportedMethod);
        }
        let well_formed = challenge.len() == 43
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(PkceError::MalformedChallenge);
        }
        Ok(CodeChallenge(challenge.to_owned()))
    }

    /// Wraps a challenge read from storage.
    pub fn from_stored(challenge: String) -> CodeChallenge {
        CodeChallenge(challenge)
    }

    /// The challenge string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` hashes to this challenge.
    pub fn is_satisfied_by(&self, verifier: &CodeVerifier) -> bool {
        let computed = sha256_base64url(verifier.0.as_bytes());
        constant_time_eq(computed.as_bytes(), self.0.as_bytes())
    }
}

/// A code verifier sent at the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl std::fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeVerifier(<redacted>)")
    }
}

impl CodeVerifier {
    /// Validates length and alphabet (RFC 7636 section 4.1).
    pub fn parse(value: &str) -> Result<CodeVerifier, PkceError> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if !(43..=128).contains(&value.len()) || !value.bytes().all(allowed) {
            return Err(PkceError::MalformedVerifier);
        }
        Ok(CodeVerifier(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example pair from RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_example_verifies() {
        let challenge = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(challenge.is_satisfied_by(&CodeVerifier::parse(VERIFIER).unwrap()));
        let other = CodeVerifier::parse(&"a".repeat(43)).unwrap();
        assert!(!challenge.is_satisfied_by(&other));
    }

    #[test]
    fn plain_and_absent_methods_are_refused() {
        assert_eq!(
            CodeChallenge::parse(CHALLENGE, None),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(CHALLENGE, Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
    }

    #[test]
    fn malformed_values_are_refused() {
        assert!(CodeChallenge::parse("short", Some("S256")).is_err());
        assert!(CodeChallenge::parse(&format!("{}=", &CHALLENGE[..42]), Some("S256")).is_err());
        assert!(CodeVerifier::parse(&"a".repeat(42)).is_err());
        assert!(CodeVerifier::parse(&"a".repeat(129)).is_err());
        assert!(CodeVerifier::parse(&format!("{}+", "a".repeat(42))).is_err());
        assert!(CodeVerifier::parse(&"a".repeat(128)).is_ok());
    }
}
