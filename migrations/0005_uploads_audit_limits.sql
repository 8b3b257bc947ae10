-- Instructor uploads and pack versions, the audit log, and sign-in rate limiting.

-- Where an imported item came from (a GIFT/Moodle category, a CSV column), for placing items in bulk.
ALTER TABLE items ADD COLUMN category text;

-- Each upload or edit of a pack that changed something makes a version, with its diff summary.
CREATE TABLE pack_versions (
    pack_id    uuid NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    source     text NOT NULL,
    added      integer NOT NULL,
    changed    integer NOT NULL,
    retired    integer NOT NULL,
    unchanged  integer NOT NULL,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pack_id, version)
);

-- An upload held between its validation report and the instructor's choice to import its valid items.
CREATE TABLE uploads (
    id         uuid PRIMARY KEY,
    owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name  text NOT NULL,
    format     text NOT NULL,
    content    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Who did what, when: admin and instructor actions.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    actor_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL DEFAULT '',
    detail     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC);

-- Failed sign-ins, per account and per address, counted over a window to slow down guessing.
-- Kept in PostgreSQL so every instance enforces the same limit.
CREATE TABLE sign_in_failures (
    scope text NOT NULL CHECK (scope IN ('account', 'address')),
    key   text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_idx ON sign_in_failures (scope, key, at);
