-- The candidate's study loop: a review deck per exam scheduled with FSRS, how sure a candidate was of a
-- practice answer, and the date they mean to sit their exam (docs/readiness.md).

-- How sure the candidate was, said in practice sets and review sessions only (the timed mock keeps the real
-- exam's controls): 'guessed' is the "not sure" of practice.
ALTER TABLE answers ADD COLUMN confidence text CHECK (confidence IN ('guessed', 'fairly_sure', 'certain'));

-- The date a candidate means to sit their target exam (users.target_exam), a date in their time zone.
ALTER TABLE users ADD COLUMN target_date date;

-- A practice set drawn from the review deck ("due") is a review session: it asks how sure the candidate is
-- before showing the key.
ALTER TABLE attempts ADD COLUMN review_session boolean NOT NULL DEFAULT false;

-- One card per candidate and item (keyed by the item, so a new revision takes its place; a case study is one
-- card, reviewed whole with its scenario). The FSRS memory state is that of rs-fsrs's Card (FSRS-5).
CREATE TABLE review_deck (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_id        uuid NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    blueprint_id   text NOT NULL REFERENCES blueprints (id),
    -- Why it joined: answered wrongly or partly, marked for review in a mock, or "not sure" in practice.
    reason         text NOT NULL CHECK (reason IN ('missed', 'marked', 'not_sure')),
    joined_at      timestamptz NOT NULL DEFAULT now(),
    due            timestamptz NOT NULL,
    stability      double precision NOT NULL DEFAULT 0,
    difficulty     double precision NOT NULL DEFAULT 0,
    elapsed_days   bigint NOT NULL DEFAULT 0,
    scheduled_days bigint NOT NULL DEFAULT 0,
    reps           integer NOT NULL DEFAULT 0,
    lapses         integer NOT NULL DEFAULT 0,
    -- 0 new, 1 learning, 2 review, 3 relearning (rs_fsrs::State).
    state          smallint NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    last_review    timestamptz,
    -- The attempt that last rated the card: one attempt rates a card once (the first answer, not a re-check).
    last_attempt   uuid,
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX review_deck_due_idx ON review_deck (user_id, blueprint_id, due);

-- The cards that count: their item is live (in a published pack of the card's exam, not retired, not a trial
-- item), so a retired item leaves the deck and a new revision takes its place. With the day each is due and
-- today, both in the account's time zone: a card is due today when `due_day <= today`.
CREATE VIEW live_review_cards AS
    SELECT d.user_id, d.blueprint_id, d.item_id, p.pack_key, i.item_key,
           (d.due AT TIME ZONE u.time_zone)::date AS due_day,
           (now() AT TIME ZONE u.time_zone)::date AS today
    FROM review_deck d
    JOIN users u ON u.id = d.user_id
    JOIN items i ON i.id = d.item_id AND NOT i.retired AND NOT i.trial
    JOIN packs p ON p.id = i.pack_id AND p.status = 'published' AND p.blueprint_id = d.blueprint_id;

-- The items of a finished exam-mode attempt that the candidate answered without getting them fully right, or
-- marked for review, join the deck due at once (an item left unanswered was not answered wrongly; trial items
-- never join). An item already in the deck is brought forward, never pushed back. Called in the transaction
-- that scores the attempt (store::exam::finalize).
CREATE FUNCTION review_deck_join(p_attempt uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO review_deck (user_id, item_id, blueprint_id, reason, due)
    SELECT a.user_id, r.item_id, a.blueprint_id,
           CASE WHEN bool_or(an.response IS NOT NULL AND COALESCE(an.earned, 0) < ai.max_points)
                THEN 'missed' ELSE 'marked' END,
           a.ended_at
    FROM attempts a
    JOIN attempt_items ai ON ai.attempt_id = a.id
    JOIN item_revisions r ON r.id = ai.revision_id
    LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
    WHERE a.id = p_attempt AND a.mode = 'exam' AND a.ended_at IS NOT NULL AND NOT ai.trial
    GROUP BY a.user_id, r.item_id, a.blueprint_id, a.ended_at
    HAVING bool_or((an.response IS NOT NULL AND COALESCE(an.earned, 0) < ai.max_points)
                   OR COALESCE(an.marked, false))
    ON CONFLICT (user_id, item_id) DO UPDATE SET due = LEAST(review_deck.due, EXCLUDED.due)
$$;

-- Attempts that ended before the deck existed fill it once: every exam-mode item missed or marked, and every
-- practice item missed, with due dates spread over the coming seven days (not all due at once). Items already
-- in the deck are left as they are. Run by this migration; tests call it again on seeded history.
CREATE FUNCTION review_deck_backfill() RETURNS bigint LANGUAGE sql AS $$
    WITH missed AS (
        SELECT a.user_id, r.item_id, a.blueprint_id,
               CASE WHEN bool_or(an.response IS NOT NULL AND COALESCE(an.earned, 0) < ai.max_points)
                    THEN 'missed' ELSE 'marked' END AS reason
        FROM attempts a
        JOIN attempt_items ai ON ai.attempt_id = a.id
        JOIN item_revisions r ON r.id = ai.revision_id
        LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
        WHERE a.ended_at IS NOT NULL AND NOT ai.trial
        GROUP BY a.user_id, r.item_id, a.blueprint_id, a.id, a.mode
        HAVING bool_or((an.response IS NOT NULL AND COALESCE(an.earned, 0) < ai.max_points)
                       OR (a.mode = 'exam' AND COALESCE(an.marked, false)))
    ), one AS (
        SELECT DISTINCT ON (user_id, item_id) user_id, item_id, blueprint_id, reason
        FROM missed ORDER BY user_id, item_id, reason DESC
    ), spread AS (
        SELECT one.*, row_number() OVER (PARTITION BY user_id ORDER BY item_id) AS n FROM one
    ), added AS (
        INSERT INTO review_deck (user_id, item_id, blueprint_id, reason, due)
        SELECT user_id, item_id, blueprint_id, reason,
               date_trunc('hour', now()) + ((n - 1) % 7) * interval '1 day'
        FROM spread
        ON CONFLICT (user_id, item_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM added
$$;

SELECT review_deck_backfill();
