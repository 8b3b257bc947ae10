-- The admin audit page filters by action (newest first) and lists the actions there are.
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at DESC);
