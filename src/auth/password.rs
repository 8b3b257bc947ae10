//! Password hashing with argon2id at OWASP's recommended parameters (19 MiB, 2 passes, 1 lane),
//! run off the async threads.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
    let params = Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The `password_hash` of an account without a password (made by single sign-on, or whose password single
/// sign-on took away): no password verifies against it.
pub const NONE: &str = "!";

/// Whether an account with this stored hash has a password at all.
pub fn is_set(stored: &str) -> bool {
    stored != NONE
}

/// Hashes a password (PHC string).
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// A hash of a random password, verified against when the account does not exist so that a
/// sign-in for an unknown e-mail takes as long as one for a known e-mail.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(super::random_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Verifies a password against a stored hash (or against the dummy hash when `stored` is None).
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    // An account without a password (made by single sign-on, or deleted) stores a hash that is not one (`!`):
    // it is checked against the dummy hash like an unknown account, and never matches.
    let stored = stored.filter(|h| h.starts_with('$'));
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed =
            PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("bad stored hash: {e}"))?;
        let ok = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await?
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let h = super::hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            super::verify("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!super::verify("wrong horse battery".into(), Some(h))
            .await
            .unwrap());
        assert!(!super::verify("anything".into(), None).await.unwrap());
        assert!(
            !super::verify("!".into(), Some("!".into())).await.unwrap(),
            "an account without a password never signs in with one"
        );
    }
}
