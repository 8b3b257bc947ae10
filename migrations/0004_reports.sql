-- Problems candidates report on items (wrong key, unclear, outdated, typo), queued for the pack's instructor.
CREATE TABLE item_reports (
    id           uuid PRIMARY KEY,
    item_id      uuid NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    revision_id  uuid NOT NULL REFERENCES item_revisions (id),
    question_key text NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('wrong_key', 'unclear', 'outdated', 'typo', 'other')),
    comment      text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fixed', 'rejected')),
    resolution   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX item_reports_item_idx ON item_reports (item_id, status);
