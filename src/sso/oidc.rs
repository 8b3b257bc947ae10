//! The OpenID Connect protocol, by the `openidconnect` crate: discovery (cached per provider for an hour, and
//! fetched again when a token is signed by a key the cache does not know: the provider rotated its keys), the
//! authorization URL with PKCE (S256), state and nonce, the code exchange, and the ID token's checks: signature by
//! the provider's published keys (asymmetric algorithms only), issuer, audience (our client and no other), expiry
//! and issue time with a minute of clock skew, and nonce.

use super::{Claims, Provider};
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A client made from a provider's discovery document (authorization and token endpoints known).
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// How far the provider's clock may be from ours.
pub const SKEW_SECONDS: i64 = 60;
/// How long a provider's discovery document and keys are kept.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// Why a sign-in failed after the provider sent the person back. Shown to them in general words; logged by kind.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("the provider could not be reached or its discovery document is not valid: {0}")]
    Discovery(String),
    #[error("the provider did not accept the sign-in code: {0}")]
    Exchange(String),
    #[error("the provider sent no ID token")]
    NoIdToken,
    #[error("the ID token failed its checks: {0}")]
    Token(String),
    #[error("a configured address is not valid: {0}")]
    Config(String),
}

/// What `begin` made: the provider's URL to send the browser to, and the secrets to keep for the callback.
pub struct Begun {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// This instance's OpenID Connect client: one HTTP client (no redirects followed, short timeouts) and the
/// providers' discovery documents.
pub struct Oidc {
    http: reqwest::Client,
    /// Provider id → when its document was fetched, and the document (with its keys).
    cache: crate::cache::Bounded<Uuid, (Instant, CoreProviderMetadata)>,
}

impl Oidc {
    pub fn new() -> anyhow::Result<Oidc> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Oidc {
            http,
            cache: crate::cache::Bounded::new(1_000),
        })
    }

    /// Drops a provider's cached discovery document (after an admin changed it).
    pub fn forget(&self, provider: Uuid) {
        self.cache.remove(&provider);
    }

    async fn metadata(
        &self,
        p: &Provider,
    ) -> Result<Arc<(Instant, CoreProviderMetadata)>, SsoError> {
        if let Some(hit) = self
            .cache
            .get(&p.id)
            .filter(|c| c.0.elapsed() < METADATA_TTL)
        {
            return Ok(hit);
        }
        let issuer =
            IssuerUrl::new(p.issuer.clone()).map_err(|e| SsoError::Config(e.to_string()))?;
        let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| SsoError::Discovery(error_chain(&e)))?;
        let entry = Arc::new((Instant::now(), meta));
        self.cache.insert(p.id, entry.clone());
        Ok(entry)
    }

    fn client(
        meta: &CoreProviderMetadata,
        p: &Provider,
        redirect: &str,
    ) -> Result<Client, SsoError> {
        let redirect =
            RedirectUrl::new(redirect.to_owned()).map_err(|e| SsoError::Config(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            meta.clone(),
            ClientId::new(p.client_id.clone()),
            Some(ClientSecret::new(p.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new sign-in (code flow, PKCE S256, scopes openid email profile).
    pub async fn begin(&self, p: &Provider, redirect: &str) -> Result<Begun, SsoError> {
        let meta = self.metadata(p).await?;
        let client = Self::client(&meta.1, p, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Begun {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token; its claims when every check passes.
    pub async fn finish(
        &self,
        p: &Provider,
        redirect: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Claims, SsoError> {
        let meta = self.metadata(p).await?;
        let client = Self::client(&meta.1, p, redirect)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| SsoError::Exchange(error_chain(&e)))?;
        let id_token = tokens.id_token().ok_or(SsoError::NoIdToken)?;
        let nonce = Nonce::new(nonce.to_owned());
        let verified = {
            let verifier = verifier(&client);
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match verified {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key we have not seen: the provider may have rotated its keys. Fetch them once more.
                self.forget(p.id);
                let meta = self.metadata(p).await?;
                let client = Self::client(&meta.1, p, redirect)?;
                let verifier = verifier(&client);
                id_token.claims(&verifier, &nonce).cloned()
            }
            other => other,
        }
        .map_err(|e| SsoError::Token(e.to_string()))?;
        let other = payload(&id_token.to_string()).unwrap_or_default();
        Ok(Claims {
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().trim().to_lowercase()),
            email_verified: claims.email_verified(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            other,
        })
    }
}

/// The ID token's checks, beyond what `id_token_verifier` does by default: only asymmetric signatures (never an
/// HMAC keyed by our client secret, never `none`), a minute of clock skew on `exp`, and no `iat` in the future.
fn verifier(
    client: &Client,
) -> openidconnect::IdTokenVerifier<'_, openidconnect::core::CoreJsonWebKey> {
    let skew = chrono::Duration::seconds(SKEW_SECONDS);
    client
        .id_token_verifier()
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            CoreJwsSigningAlgorithm::EdDsa,
        ])
        .set_time_fn(move || chrono::Utc::now() - skew)
        .set_issue_time_verifier_fn(move |iat| {
            if iat > chrono::Utc::now() + skew {
                Err("issued in the future".into())
            } else {
                Ok(())
            }
        })
}

/// The claims of a JWT whose signature was already checked, as JSON (for claims the crate does not name, such as
/// `groups`).
fn payload(jwt: &str) -> Option<HashMap<String, serde_json::Value>> {
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// An error and its sources, for the log (never a token: the crate's errors name kinds and statuses).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
