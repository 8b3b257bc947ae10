-- The outcome of a candidate's problem report: fixed in a revision of the item, or rejected with a reason
-- (kept in `resolution`), who resolved it, and when the reporter was shown the outcome.
-- Numbered 0008 (not 0007) so that it cannot collide with a 0007 added on another branch.
ALTER TABLE item_reports
    ADD COLUMN fixed_revision      integer,
    ADD COLUMN resolved_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN seen_by_reporter_at timestamptz;

-- A fixed report names the revision that fixed it; a rejected one says why.
ALTER TABLE item_reports ADD CONSTRAINT item_reports_outcome_check CHECK (
    (status = 'open' AND fixed_revision IS NULL)
    OR (status = 'fixed' AND fixed_revision IS NOT NULL AND resolved_at IS NOT NULL)
    OR (status = 'rejected' AND length(trim(resolution)) > 0 AND resolved_at IS NOT NULL)
);

-- The reporter's outcomes not shown yet, read on their next visit.
CREATE INDEX item_reports_unseen_idx ON item_reports (user_id)
    WHERE status <> 'open' AND seen_by_reporter_at IS NULL;
