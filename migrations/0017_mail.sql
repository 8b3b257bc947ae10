-- E-mail (issue 19; docs/security.md, "E-mail"): the outbox the mail worker sends from, single-use tokens for
-- links in mail (stored hashed), the limits on mail a request can trigger, address verification and people's
-- mail preferences.

-- Address verification at sign-up: 'required' (an account made while it is required signs in only once its
-- address is confirmed), 'optional' (asked, never enforced) or 'off'. How long sent and failed mail is kept.
ALTER TABLE site_settings
    ADD COLUMN email_verification text NOT NULL DEFAULT 'optional'
        CHECK (email_verification IN ('required', 'optional', 'off')),
    ADD COLUMN keep_mail_days integer CHECK (keep_mail_days BETWEEN 1 AND 36500);

-- verification_required is set only on accounts made while verification was required, so changing the setting
-- never locks an existing account out. The mail_* columns are opt-in preferences.
ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN verification_required boolean NOT NULL DEFAULT false,
    ADD COLUMN mail_reminders boolean NOT NULL DEFAULT false,
    ADD COLUMN mail_report_outcomes boolean NOT NULL DEFAULT false;

-- A link's token (its SHA-256; the token itself is only in the mail): what it is for, whose account, the address
-- it went to (the new address for a change), and when it stops working. Single use: used_at is set by the
-- statement that accepts it.
CREATE TABLE mail_tokens (
    token_hash bytea PRIMARY KEY,
    purpose    text NOT NULL CHECK (purpose IN ('verify', 'reset', 'email_change')),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX mail_tokens_user_idx ON mail_tokens (user_id, purpose);

-- The outbox. 'queued' mail is sent by the worker of any instance (claimed with FOR UPDATE SKIP LOCKED and a
-- lease in next_attempt_at, so a crash after the SMTP server accepted a message can send it again, with the
-- same Message-ID, but never loses it); 'held' mail is kept for /admin/outbox when no SMTP server is configured;
-- 'failed' mail got a permanent (5xx) refusal. The bodies of sent mail are removed once sent.
CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY,
    message_id      text NOT NULL UNIQUE,
    kind            text NOT NULL,
    to_address      text NOT NULL,
    user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    subject         text NOT NULL,
    body_text       text,
    body_html       text,
    status          text NOT NULL CHECK (status IN ('queued', 'held', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX mail_outbox_created_idx ON mail_outbox (created_at);
CREATE INDEX mail_outbox_to_idx ON mail_outbox (to_address);

-- Requests that send mail (a reset, a sign-up, a new verification link, an address change), counted per address
-- and per client for the hourly limits.
CREATE TABLE mail_requests (
    kind   text NOT NULL,
    email  text NOT NULL,
    client text NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_requests_email_idx ON mail_requests (email, at);
CREATE INDEX mail_requests_client_idx ON mail_requests (client, at);

-- The due-date reminders sent: one per member and assignment.
CREATE TABLE assignment_reminders (
    assignment_id uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sent_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (assignment_id, user_id)
);
