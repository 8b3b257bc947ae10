-- A person's own data (docs/security.md, "A person's own data"): how long finished attempts and audit entries
-- are kept (NULL: for ever), chosen by an admin, and when the daily job that enforces it last ran (one instance
-- claims each day's run by moving this stamp).
ALTER TABLE site_settings ADD COLUMN keep_attempts_days integer CHECK (keep_attempts_days BETWEEN 1 AND 36500);
ALTER TABLE site_settings ADD COLUMN keep_audit_days integer CHECK (keep_audit_days BETWEEN 1 AND 36500);
ALTER TABLE site_settings ADD COLUMN retention_ran_at timestamptz;
