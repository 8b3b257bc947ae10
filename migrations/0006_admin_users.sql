-- Admin account management: password resets and the audit page.

-- After an admin resets a password (to a generated one the admin has seen), the user is sent to choose
-- their own at their next sign-in; changing the password clears the flag.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- The audit page filters by action (newest first) and lists the actions there are.
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at DESC);
