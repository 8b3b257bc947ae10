//! Accounts: what makes a valid e-mail, password and role; password hashing; secrets for sessions and tokens.

pub mod password;
pub mod session;

use crate::error::{AppError, FieldError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A user's role; every route checks it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Candidate,
    Instructor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Candidate => "candidate",
            Role::Instructor => "instructor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AppError> {
        match s {
            "candidate" => Ok(Role::Candidate),
            "instructor" => Ok(Role::Instructor),
            "admin" => Ok(Role::Admin),
            other => Err(AppError::BadRequest(format!(
                "unknown role '{other}': use candidate, instructor or admin"
            ))),
        }
    }
}

/// An e-mail address that passed our checks, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let s = raw.trim().to_lowercase();
        let err = |m: &str| FieldError {
            field: "email".into(),
            message: m.into(),
        };
        if s.is_empty() {
            return Err(err("Enter your e-mail address."));
        }
        if s.len() > 254 {
            return Err(err(
                "That e-mail address is too long (254 characters at most).",
            ));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(err("Enter an e-mail address like name@example.com."));
        };
        let ok_local = !local.is_empty() && local.len() <= 64 && !local.contains('@');
        let ok_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !ok_local || !ok_domain || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("Enter an e-mail address like name@example.com."));
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "iloveyou123",
    "letmein123",
    "welcome123",
    "administrator",
    "passw0rd123",
    "azureai102",
    "ai102ai102",
];

/// A new password and its repetition, as the sign-up, password and reset forms take them: the policy first,
/// then the two must match.
pub fn check_new_password_pair(password: &str, again: &str, email: &str) -> Result<(), FieldError> {
    check_new_password(password, email)?;
    if password != again {
        return Err(FieldError {
            field: "password_confirm".into(),
            message: "The two passwords differ.".into(),
        });
    }
    Ok(())
}

/// A new password that meets the policy (length 10–128, not a well-known one, not the e-mail).
pub fn check_new_password(password: &str, email: &str) -> Result<(), FieldError> {
    let err = |m: String| FieldError {
        field: "password".into(),
        message: m,
    };
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(err(format!(
            "Use at least {PASSWORD_MIN} characters; a short phrase is easy to remember."
        )));
    }
    if n > PASSWORD_MAX {
        return Err(err(format!("Use at most {PASSWORD_MAX} characters.")));
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    if COMMON_PASSWORDS.contains(&lower.as_str())
        || lower.chars().all(|c| Some(c) == first)
        || lower == email.to_lowercase()
    {
        return Err(err(
            "That password is too easy to guess; choose another.".into()
        ));
    }
    Ok(())
}

/// A display name: trimmed, 1–80 characters, no control characters.
pub fn check_display_name(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let err = |m: &str| FieldError {
        field: "display_name".into(),
        message: m.into(),
    };
    if s.is_empty() {
        return Err(err("Enter a name to show on your results."));
    }
    if s.chars().count() > 80 {
        return Err(err("Use at most 80 characters."));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(err("Use letters, digits and punctuation only."));
    }
    Ok(s.to_owned())
}

/// A random secret of 32 bytes, hex-encoded (session ids, CSRF tokens, API tokens).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A password an admin hands to a user after a reset: 16 characters in groups of four, from letters and
/// digits that cannot be mistaken for each other when read aloud or copied by hand (about 79 bits).
pub fn temporary_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    out
}

/// The SHA-256 of a secret, as stored at rest.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compares two secrets in constant time.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@ex..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_new_password("short", "a@b.co").is_err());
        assert!(check_new_password("password123", "a@b.co").is_err());
        assert!(check_new_password("aaaaaaaaaaaa", "a@b.co").is_err());
        assert!(check_new_password(&"x".repeat(129), "a@b.co").is_err());
        assert!(check_new_password("correct horse battery", "a@b.co").is_ok());
    }

    #[test]
    fn temporary_passwords_meet_the_policy_and_differ() {
        let a = temporary_password();
        assert_eq!(a.len(), 19);
        assert_eq!(a.matches('-').count(), 3);
        assert!(check_new_password(&a, "a@b.co").is_ok());
        assert_ne!(a, temporary_password());
    }

    #[test]
    fn secrets_are_unique_and_compare_in_constant_time() {
        let a = random_secret();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_secret());
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, &random_secret()));
    }
}
