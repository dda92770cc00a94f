//! Password hashing with Argon2id.
//!
//! Hashing is deliberately slow (Argon2id with 7 MiB and 5 passes, one of the settings
//! OWASP lists as equally strong as 19 MiB with 2 passes), so callers run these functions
//! on a blocking thread, never on the async runtime. The smaller memory setting was
//! chosen because the allocator keeps a hash's working memory resident after a log-in:
//! with 19 MiB an idle server sat at 36 MB, with 7 MiB at about 22 MB (docs/performance.md).
//! Verification against an unknown account still hashes, against a dummy hash, so the
//! response time does not reveal which email addresses have accounts.

use super::secret::Secret;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

/// Shortest password accepted at sign-up.
pub const MIN_PASSWORD_LENGTH: usize = 10;
/// Longest password accepted, so hashing cost stays bounded.
pub const MAX_PASSWORD_LENGTH: usize = 256;

fn argon2() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
pub fn hash_password(password: &Secret) -> Result<String, argon2::password_hash::Error> {
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)?;
    Ok(argon2()
        .hash_password(password.expose().as_bytes(), &salt)?
        .to_string())
}

/// Checks `password` against `stored`, or against a dummy hash when there is no
/// account, taking the same time either way.
pub fn verify_password(stored: Option<&str>, password: &Secret) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        hash_password(&Secret::generate(super::secret::SecretKind::Csrf)).unwrap_or_default()
    });
    let (hash, is_real) = match stored {
        Some(hash) => (hash, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let verified = argon2()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok();
    verified && is_real
}

/// Checks a new password's length.
pub fn check_new_password(password: &Secret) -> Result<(), String> {
    let length = password.expose().chars().count();
    if length < MIN_PASSWORD_LENGTH {
        return Err(format!(
            "Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        ));
    }
    if password.expose().len() > MAX_PASSWORD_LENGTH {
        return Err(format!(
            "Passwords can have at most {MAX_PASSWORD_LENGTH} bytes."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let password = Secret::new("correct horse battery");
        let hash = hash_password(&password).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(Some(&hash), &password));
        assert!(!verify_password(
            Some(&hash),
            &Secret::new("wrong horse battery")
        ));
        assert!(!verify_password(None, &password));
    }
}
