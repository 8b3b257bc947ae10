//! Single sign-on with OpenID Connect (docs/security.md, "Single sign-on"): the rules, pure, here; the protocol
//! (discovery, the authorization code flow with PKCE, ID-token validation) in [`oidc`]; the rows in store::sso;
//! the pages in web::sso.
//!
//! The rules:
//! - an identity is its provider's issuer and subject, never an e-mail address;
//! - a first sign-in links an existing account with the same address only when the address is verified: the
//!   provider says `email_verified: true`, or sends nothing and is trusted to (Entra ID often sends nothing);
//! - a provider may be limited to some e-mail domains;
//! - role rules map a claim's value to a role at each sign-in and only ever raise a role, never lower one an admin
//!   set;
//! - a domain may require single sign-on: its accounts' passwords stop working (their API tokens do not).

pub mod oidc;

use crate::auth::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// A provider as configured.
#[derive(Debug, Clone)]
pub struct Provider {
    pub id: Uuid,
    pub slug: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub allowed_domains: Vec<String>,
    pub trusts_verified_email: bool,
    pub role_rules: Vec<RoleRule>,
    pub required_domains: Vec<String>,
    pub enabled: bool,
}

/// "A `claim` equal to `value` (or, for a list, holding it) makes the account at least `role`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRule {
    pub claim: String,
    pub value: String,
    pub role: Role,
}

/// What a provider told us about the person, once its ID token was verified.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    /// Every other claim (groups, roles, …), for the role rules.
    pub other: HashMap<String, serde_json::Value>,
}

impl Provider {
    /// Whether the address the provider sent counts as verified.
    pub fn verified_email(&self, claims: &Claims) -> bool {
        match claims.email_verified {
            Some(v) => v,
            None => self.trusts_verified_email,
        }
    }

    /// Whether the provider may sign in this address (its domain is allowed, when domains are listed).
    pub fn allows(&self, email: Option<&str>) -> bool {
        if self.allowed_domains.is_empty() {
            return true;
        }
        email
            .and_then(domain_of)
            .is_some_and(|d| self.allowed_domains.contains(&d))
    }

    /// The highest role the rules grant for these claims.
    pub fn granted_role(&self, claims: &Claims) -> Option<Role> {
        self.role_rules
            .iter()
            .filter(|r| {
                let v = if r.claim == "email" {
                    claims.email.clone().map(serde_json::Value::String)
                } else {
                    claims.other.get(&r.claim).cloned()
                };
                match v {
                    Some(serde_json::Value::String(s)) => s == r.value,
                    Some(serde_json::Value::Array(items)) => {
                        items.iter().any(|i| i.as_str() == Some(r.value.as_str()))
                    }
                    Some(serde_json::Value::Bool(b)) => b.to_string() == r.value,
                    Some(serde_json::Value::Number(n)) => n.to_string() == r.value,
                    _ => false,
                }
            })
            .map(|r| r.role)
            .max()
    }
}

/// The role after a sign-in: the rules raise, never lower.
pub fn role_after(current: Role, granted: Option<Role>) -> Role {
    granted.map_or(current, |g| g.max(current))
}

/// The lower-cased domain of an address.
pub fn domain_of(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
}

/// Who a verified sign-in is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The identity is known: its account.
    Known(Uuid),
    /// First sign-in with the verified address of an existing account: link it.
    Link(Uuid),
    /// Nobody has the address: a new account.
    Create,
    /// Refused, with the reason shown to the person.
    Refuse(&'static str),
}

pub const UNVERIFIED_MATCH: &str = "An account with this e-mail address already exists, and the provider did not \
    confirm that the address is yours, so the two are not joined. Sign in with your password instead.";
pub const NO_EMAIL: &str =
    "The provider sent no e-mail address, which a new account needs. Ask its administrator to release the \
     e-mail claim to this site.";
pub const UNVERIFIED_NEW: &str =
    "The provider did not confirm that this e-mail address is yours, so no account \
    is made with it. Ask its administrator to confirm the address, or sign up with a password.";
pub const DOMAIN_NOT_ALLOWED: &str =
    "This provider may not sign in addresses of your domain on this site.";

/// Decides [`Resolution`]: `identity` is the account the (issuer, subject) is linked to, `same_email` the account
/// with the address the provider sent.
pub fn resolve(
    provider: &Provider,
    claims: &Claims,
    identity: Option<Uuid>,
    same_email: Option<Uuid>,
) -> Resolution {
    if !provider.allows(claims.email.as_deref()) {
        return Resolution::Refuse(DOMAIN_NOT_ALLOWED);
    }
    if let Some(user) = identity {
        return Resolution::Known(user);
    }
    match (same_email, claims.email.as_deref()) {
        (Some(user), _) if provider.verified_email(claims) => Resolution::Link(user),
        (Some(_), _) => Resolution::Refuse(UNVERIFIED_MATCH),
        // An unconfirmed address makes no account either: its real owner could later take the account over by a
        // password reset while the identity still signs in to it.
        (None, Some(_)) if provider.verified_email(claims) => Resolution::Create,
        (None, Some(_)) => Resolution::Refuse(UNVERIFIED_NEW),
        (None, None) => Resolution::Refuse(NO_EMAIL),
    }
}

/// A checked issuer: `https://…`, or `http://` on loopback (a provider on the same machine, and the tests), kept
/// exactly as typed but for surrounding spaces (discovery compares it to the document's `issuer` to the letter, a
/// trailing slash included).
pub fn check_issuer(raw: &str) -> Result<String, String> {
    let issuer = raw.trim();
    let (https, rest) = if let Some(rest) = issuer.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = issuer.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(format!(
            "the issuer `{raw}` must be an https:// address, like https://login.microsoftonline.com/TENANT/v2.0"
        ));
    };
    let authority = rest.split('/').next().unwrap_or("");
    // No user part: in `http://[::1]@evil.example` the host is evil.example.
    if authority.is_empty() || authority.contains('@') || issuer.contains(['?', '#', ' ']) {
        return Err(format!("the issuer `{raw}` is not an address"));
    }
    if !https {
        let host = if authority.starts_with('[') {
            authority
                .split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or("").to_owned()
        };
        if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
            return Err(format!(
                "the issuer `{raw}` must be an https:// address (http only on this machine's loopback)"
            ));
        }
    }
    Ok(issuer.to_owned())
}

/// Domains typed by an admin (spaces, commas or lines between them): lower-cased, each checked.
pub fn parse_domains(raw: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for d in raw.split([',', ' ', '\n', '\r', '\t', ';']) {
        let d = d.trim().trim_start_matches('@').to_lowercase();
        if d.is_empty() {
            continue;
        }
        let ok = d.contains('.')
            && !d.starts_with(['.', '-'])
            && !d.ends_with(['.', '-'])
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !ok {
            return Err(format!("`{d}` is not a domain like example.com"));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Role rules typed by an admin, one a line: `CLAIM VALUE ROLE`, e.g. `groups exam-admins admin`.
pub fn parse_rules(raw: &str) -> Result<Vec<RoleRule>, String> {
    let mut out = Vec::new();
    for (n, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [claim, value, role] = parts[..] else {
            return Err(format!(
                "role rule line {}: write `CLAIM VALUE ROLE`, like `groups exam-admins admin`",
                n + 1
            ));
        };
        let role = Role::parse(role).map_err(|e| format!("role rule line {}: {e}", n + 1))?;
        out.push(RoleRule {
            claim: claim.to_owned(),
            value: value.to_owned(),
            role,
        });
    }
    Ok(out)
}

/// A provider as an admin types it (the admin page) or the environment gives it (`SSO_PROVIDERS`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    pub slug: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Empty when changing a provider: the stored secret is kept.
    #[serde(default)]
    pub client_secret: String,
    /// Domains separated by spaces, commas or lines (the environment may give a list).
    #[serde(default, deserialize_with = "words")]
    pub allowed_domains: String,
    #[serde(default)]
    pub trusts_verified_email: bool,
    /// `CLAIM VALUE ROLE` lines (the environment may give a list of {claim, value, role}).
    #[serde(default, deserialize_with = "rule_lines")]
    pub role_rules: String,
    #[serde(default, deserialize_with = "words")]
    pub required_domains: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A list of strings or one string, as one string.
fn words<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum W {
        One(String),
        Many(Vec<String>),
    }
    Ok(match W::deserialize(d)? {
        W::One(s) => s,
        W::Many(v) => v.join(" "),
    })
}

/// Rules as lines, or as a list of {claim, value, role}.
fn rule_lines<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum R {
        Lines(String),
        List(Vec<RoleRule>),
    }
    Ok(match R::deserialize(d)? {
        R::Lines(s) => s,
        R::List(v) => rules_text(&v),
    })
}

impl ProviderInput {
    /// The provider, checked; the message names the field.
    pub fn check(&self) -> Result<Provider, String> {
        let slug = self.slug.trim().to_lowercase();
        let slug_ok = !slug.is_empty()
            && slug.len() <= 40
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-');
        if !slug_ok {
            return Err(format!(
                "the short name `{}` must be 1 to 40 lower-case letters, digits or dashes (it is in the URLs)",
                self.slug
            ));
        }
        let display_name = self.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 80 {
            return Err("the name shown on the sign-in page must be 1 to 80 characters".into());
        }
        let client_id = self.client_id.trim();
        if client_id.is_empty() {
            return Err("the client id is missing".into());
        }
        Ok(Provider {
            id: Uuid::nil(),
            slug,
            display_name: display_name.to_owned(),
            issuer: check_issuer(&self.issuer)?,
            client_id: client_id.to_owned(),
            client_secret: self.client_secret.trim().to_owned(),
            allowed_domains: parse_domains(&self.allowed_domains)
                .map_err(|e| format!("allowed domains: {e}"))?,
            trusts_verified_email: self.trusts_verified_email,
            role_rules: parse_rules(&self.role_rules)?,
            required_domains: parse_domains(&self.required_domains)
                .map_err(|e| format!("domains that must use single sign-on: {e}"))?,
            enabled: self.enabled,
        })
    }
}

/// `SSO_PROVIDERS`: a JSON list of providers.
pub fn parse_env(json: &str) -> Result<Vec<Provider>, String> {
    let inputs: Vec<ProviderInput> = serde_json::from_str(json)
        .map_err(|e| format!("SSO_PROVIDERS is not a JSON list of providers: {e}"))?;
    inputs
        .iter()
        .map(|i| {
            let p = i
                .check()
                .map_err(|e| format!("SSO_PROVIDERS, `{}`: {e}", i.slug))?;
            if p.client_secret.is_empty() {
                return Err(format!(
                    "SSO_PROVIDERS, `{}`: the client secret is missing",
                    i.slug
                ));
            }
            Ok(p)
        })
        .collect()
}

/// The rules as the admin page shows them (what [`parse_rules`] reads back).
pub fn rules_text(rules: &[RoleRule]) -> String {
    rules
        .iter()
        .map(|r| format!("{} {} {}", r.claim, r.value, r.role.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Provider {
        Provider {
            id: Uuid::nil(),
            slug: "corp".into(),
            display_name: "Corp".into(),
            issuer: "https://idp.example.com".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            allowed_domains: vec![],
            trusts_verified_email: false,
            role_rules: parse_rules("groups exam-staff instructor\ngroups exam-admins admin")
                .unwrap(),
            required_domains: vec![],
            enabled: true,
        }
    }

    fn claims(email: &str, verified: Option<bool>, groups: &[&str]) -> Claims {
        Claims {
            subject: "sub-1".into(),
            email: Some(email.into()),
            email_verified: verified,
            name: None,
            other: [("groups".to_owned(), serde_json::json!(groups))].into(),
        }
    }

    #[test]
    fn rules_raise_a_role_to_the_highest_granted_and_never_lower_one() {
        let p = provider();
        let c = claims("a@example.com", Some(true), &["exam-staff", "exam-admins"]);
        assert_eq!(p.granted_role(&c), Some(Role::Admin));
        let c = claims("a@example.com", Some(true), &["exam-staff"]);
        assert_eq!(
            role_after(Role::Candidate, p.granted_role(&c)),
            Role::Instructor
        );
        assert_eq!(role_after(Role::Admin, p.granted_role(&c)), Role::Admin);
        let c = claims("a@example.com", Some(true), &[]);
        assert_eq!(
            role_after(Role::Instructor, p.granted_role(&c)),
            Role::Instructor
        );
        let mut c = claims("a@example.com", Some(true), &[]);
        c.other
            .insert("groups".into(), serde_json::json!("exam-staff"));
        assert_eq!(
            p.granted_role(&c),
            Some(Role::Instructor),
            "a single string"
        );
    }

    #[test]
    fn an_existing_address_is_linked_only_when_verified() {
        let mut p = provider();
        let someone = Uuid::from_u128(7);
        let c = claims("a@example.com", Some(true), &[]);
        assert_eq!(
            resolve(&p, &c, None, Some(someone)),
            Resolution::Link(someone)
        );
        let c = claims("a@example.com", Some(false), &[]);
        assert_eq!(
            resolve(&p, &c, None, Some(someone)),
            Resolution::Refuse(UNVERIFIED_MATCH)
        );
        let c = claims("a@example.com", None, &[]);
        assert_eq!(
            resolve(&p, &c, None, Some(someone)),
            Resolution::Refuse(UNVERIFIED_MATCH),
            "nothing said, not trusted"
        );
        p.trusts_verified_email = true;
        assert_eq!(
            resolve(&p, &c, None, Some(someone)),
            Resolution::Link(someone)
        );
        let c = claims("a@example.com", Some(false), &[]);
        assert_eq!(
            resolve(&p, &c, None, Some(someone)),
            Resolution::Refuse(UNVERIFIED_MATCH),
            "trusted, but the provider says unverified"
        );
        assert_eq!(
            resolve(&p, &c, Some(someone), None),
            Resolution::Known(someone)
        );
        assert_eq!(
            resolve(&p, &c, None, None),
            Resolution::Refuse(UNVERIFIED_NEW),
            "no account for an address the provider says is unconfirmed"
        );
        let c = claims("a@example.com", Some(true), &[]);
        assert_eq!(resolve(&p, &c, None, None), Resolution::Create);
        let mut c = c;
        c.email = None;
        assert_eq!(resolve(&p, &c, None, None), Resolution::Refuse(NO_EMAIL));
    }

    #[test]
    fn a_provider_limited_to_domains_refuses_other_addresses() {
        let mut p = provider();
        p.allowed_domains = parse_domains("Example.com, corp.example.org").unwrap();
        assert!(p.allows(Some("a@EXAMPLE.com")));
        assert!(!p.allows(Some("a@example.com.evil.test")));
        assert!(!p.allows(None));
        let c = claims("a@elsewhere.test", Some(true), &[]);
        assert_eq!(
            resolve(&p, &c, Some(Uuid::nil()), None),
            Resolution::Refuse(DOMAIN_NOT_ALLOWED)
        );
    }

    #[test]
    fn issuers_are_https_or_loopback_http_kept_as_typed() {
        assert_eq!(
            check_issuer(" https://login.example.com/tenant/v2.0 ").unwrap(),
            "https://login.example.com/tenant/v2.0"
        );
        assert_eq!(
            check_issuer("https://tenant.auth0.example/").unwrap(),
            "https://tenant.auth0.example/",
            "a trailing slash is part of some issuers"
        );
        assert_eq!(
            check_issuer("http://[::1]:8080").unwrap(),
            "http://[::1]:8080"
        );
        assert_eq!(
            check_issuer("http://127.0.0.1:4011").unwrap(),
            "http://127.0.0.1:4011"
        );
        for bad in [
            "http://idp.example.com",
            "idp.example.com",
            "https://",
            "ftp://x",
            "http://[::1]@evil.example",
            "http://127.0.0.1@evil.example",
            "http://127.0.0.1.evil.example",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn providers_come_from_the_environment_as_json_and_are_checked() {
        let ps = parse_env(
            r#"[{"slug": "corp", "display_name": "Corp", "issuer": "https://idp.example.com/",
                 "client_id": "c", "client_secret": "s", "allowed_domains": ["corp.example.com"],
                 "role_rules": [{"claim": "groups", "value": "staff", "role": "instructor"}]}]"#,
        )
        .unwrap();
        assert_eq!(ps[0].issuer, "https://idp.example.com/");
        assert_eq!(ps[0].role_rules[0].role, Role::Instructor);
        assert!(ps[0].enabled);
        let e = parse_env(r#"[{"slug": "corp", "display_name": "Corp", "issuer": "http://idp.example.com", "client_id": "c", "client_secret": "s"}]"#)
            .unwrap_err();
        assert!(e.contains("corp") && e.contains("https"), "{e}");
        assert!(parse_env(r#"[{"slug": "x", "display_name": "X", "issuer": "https://a.example", "client_id": "c"}]"#)
            .unwrap_err()
            .contains("secret"));
    }

    #[test]
    fn rules_and_domains_typed_by_an_admin_are_read_or_refused_with_the_line() {
        assert!(parse_rules("groups admins").unwrap_err().contains("line 1"));
        assert!(parse_rules("groups admins superuser")
            .unwrap_err()
            .contains("unknown role"));
        let rules = parse_rules("# staff\ngroups exam-admins admin\n").unwrap();
        assert_eq!(rules_text(&rules), "groups exam-admins admin");
        assert!(parse_domains("example.com bad_domain").is_err());
        assert_eq!(
            parse_domains("@Example.com\nexample.com").unwrap(),
            vec!["example.com"]
        );
    }
}
