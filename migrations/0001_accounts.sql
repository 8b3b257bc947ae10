-- Accounts, server-side sessions and personal API tokens.
CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    email              text NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name       text NOT NULL,
    password_hash      text NOT NULL,
    role               text NOT NULL CHECK (role IN ('candidate', 'instructor', 'admin')),
    disabled           boolean NOT NULL DEFAULT false,
    extra_time_minutes integer NOT NULL DEFAULT 0 CHECK (extra_time_minutes >= 0),
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- A signed-in browser. The cookie holds a random secret; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash    bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- Personal API tokens for /api/v1 (bearer). Only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
