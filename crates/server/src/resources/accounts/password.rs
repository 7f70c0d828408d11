//! Passwords: hashed with argon2id on a blocking thread, and checked with the same work
//! whether or not the account exists.

use dinhdanh_core::ids::Password;
use zeroize::Zeroizing;

use crate::infra::error::{ServerError, ServerResult};

/// Hashes a new password with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, one
/// lane — OWASP's recommended minimum) on a blocking thread.
pub async fn hash_password(password: &Password) -> ServerResult<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let secret = Zeroizing::new(password.expose().to_owned());
    let salt_bytes = crate::infra::ids::random_bytes::<16>();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| ServerError::Internal(format!("salt: {e}")))?;
        argon2::Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServerError::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| ServerError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` matches the argon2id `hash` (runs on a blocking thread; a hash that
/// does not parse matches nothing).
pub async fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let hash = hash.to_owned();
    let secret = Zeroizing::new(password.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A well-formed argon2id hash with the default parameters whose digest was written by hand:
/// no password is known to match it. Checking against it costs what checking a real account
/// costs (a unit test keeps its parameters equal to the defaults).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VydmVyLWR1bW15LXNhbHQ$G1n1pIvsZd5yTNvD1AYIYI6oBDsMpDUE8yCimTIgH4I";

/// Does the work of a password check against a dummy hash, so that a sign-in for an unknown
/// identification number takes as long as one with a wrong password and the timing does not
/// tell which numbers have accounts.
pub async fn dummy_password_check() {
    let _ = verify_password(DUMMY_HASH, "not-the-password").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        use argon2::password_hash::PasswordHash;
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = argon2::Params::try_from(&parsed).unwrap();
        let default = argon2::Params::default();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
    }
}
