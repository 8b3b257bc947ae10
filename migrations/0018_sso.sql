-- Single sign-on with OpenID Connect (issue 19; docs/security.md, "Single sign-on"): the providers an admin
-- configures, the identities they vouch for, and the sign-ins in progress.

-- A provider: its issuer (exactly as its discovery document says it), the client the site is registered as, the
-- e-mail domains it may sign in (empty: any), whether its e-mail addresses count as verified when it sends no
-- email_verified (Entra ID often sends none), the rules that map a claim's value to a role (a JSON array of
-- {"claim", "value", "role"}; applied at each sign-in, they only ever raise a role), and the domains whose accounts
-- must sign in through it (their passwords stop working).
CREATE TABLE sso_providers (
    id                    uuid PRIMARY KEY,
    slug                  text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    display_name          text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 80),
    issuer                text NOT NULL UNIQUE,
    client_id             text NOT NULL CHECK (client_id <> ''),
    client_secret         text NOT NULL,
    allowed_domains       text[] NOT NULL DEFAULT '{}',
    trusts_verified_email boolean NOT NULL DEFAULT false,
    role_rules            jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(role_rules) = 'array'),
    required_domains      text[] NOT NULL DEFAULT '{}',
    enabled               boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- An account's identity at a provider, keyed by issuer and subject (never by e-mail: an address can change hands).
CREATE TABLE user_identities (
    issuer          text NOT NULL,
    subject         text NOT NULL CHECK (subject <> ''),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id     uuid REFERENCES sso_providers (id) ON DELETE SET NULL,
    linked_at       timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

-- A sign-in in progress: found by its state's SHA-256 and deleted by the statement that finds it (single use), bound
-- to the browser that started it (the SHA-256 of a cookie), with the nonce and PKCE verifier it was started with and
-- the same-site path to go to after. Ten minutes.
CREATE TABLE sso_flows (
    state_hash    bytea PRIMARY KEY,
    binding_hash  bytea NOT NULL,
    provider_id   uuid NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
    nonce         text NOT NULL,
    pkce_verifier text NOT NULL,
    next          text NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sso_flows_expiry_idx ON sso_flows (expires_at);
