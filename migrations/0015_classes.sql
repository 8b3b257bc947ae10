-- Classes: an instructor's groups of candidates, the forms they assign them, and who may see a form
-- (docs/classes.md). The limits (seats, attempts, windows) are decided here, in SQL, under concurrency:
-- `class_join` and `assignment_start_refusal` lock the row they count under.

-- A class: a name, the exam it prepares for, optional dates, and how candidates join it.
CREATE TABLE classes (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    exam_code       text NOT NULL REFERENCES exams (code),
    owner_id        uuid NOT NULL REFERENCES users (id),
    starts_on       date,
    ends_on         date CHECK (ends_on >= starts_on),
    -- The join link's code; regenerating it makes the old link stop working.
    join_code       text NOT NULL UNIQUE,
    join_enabled    boolean NOT NULL DEFAULT true,
    join_expires_at timestamptz,
    seat_limit      integer CHECK (seat_limit BETWEEN 1 AND 100000),
    -- An archived class is read-only: nobody joins and no attempt starts; its data stays readable.
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX classes_owner_idx ON classes (owner_id);

-- Co-instructors: every right of the owner except deleting the class.
CREATE TABLE class_instructors (
    class_id uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_instructors_user_idx ON class_instructors (user_id);

-- Members. Leaving or being removed deletes the row (the attempts stay, out of the gradebook); joining again
-- brings them back with their attempts.
CREATE TABLE class_members (
    class_id  uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_members_user_idx ON class_members (user_id);

-- A form set to a class: its window (the database's clock), the attempts allowed (NULL: unlimited) and when
-- the candidate sees the answers and explanations (the score and domain report are always shown).
CREATE TABLE assignments (
    id            uuid PRIMARY KEY,
    class_id      uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    form_id       uuid NOT NULL REFERENCES exam_forms (id),
    opens_at      timestamptz,
    closes_at     timestamptz CHECK (closes_at > opens_at),
    max_attempts  integer CHECK (max_attempts BETWEEN 1 AND 100),
    answers_shown text NOT NULL DEFAULT 'at_end' CHECK (answers_shown IN ('at_end', 'after_close', 'never')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (answers_shown <> 'after_close' OR closes_at IS NOT NULL)
);
CREATE INDEX assignments_class_idx ON assignments (class_id);

-- One member's exception: more attempts, or a later close.
CREATE TABLE assignment_overrides (
    assignment_id  uuid NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    extra_attempts integer NOT NULL DEFAULT 0 CHECK (extra_attempts BETWEEN 0 AND 100),
    closes_at      timestamptz,
    PRIMARY KEY (assignment_id, user_id)
);

-- The assignment an exam attempt was started for. An assignment with attempts cannot be deleted (nor its
-- class): its hidden answers would otherwise become visible.
ALTER TABLE attempts ADD COLUMN assignment_id uuid REFERENCES assignments (id);
CREATE INDEX attempts_assignment_idx ON attempts (assignment_id, user_id) WHERE assignment_id IS NOT NULL;

-- Who sees a form: every candidate ('public'), or only the members of the classes it is assigned to ('class').
-- Existing forms stay public. An instructor may ask for a form to be public; an admin approves or refuses.
ALTER TABLE exam_forms ADD COLUMN visibility text NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('public', 'class'));
ALTER TABLE exam_forms ADD COLUMN public_request text CHECK (public_request IN ('pending', 'refused'));
ALTER TABLE exam_forms ADD COLUMN public_request_reason text;

-- Whether the candidate may see the keys and explanations of an attempt: always without an assignment; with
-- one, at the end, after the window closed for everybody (overrides included), or never.
CREATE FUNCTION attempt_answers_visible(p_attempt uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT COALESCE((
        SELECT CASE s.answers_shown
                   WHEN 'at_end' THEN true
                   WHEN 'never' THEN false
                   ELSE now() >= GREATEST(s.closes_at,
                                          (SELECT max(o.closes_at) FROM assignment_overrides o
                                           WHERE o.assignment_id = s.id))
               END
        FROM attempts a JOIN assignments s ON s.id = a.assignment_id
        WHERE a.id = p_attempt), true)
$$;

-- A visitor joins with the code: 'joined', 'already' (a member: nothing changes), or why not ('unknown',
-- 'closed', 'expired', 'full', 'archived'). The class row is locked first, so simultaneous joins count the
-- seats one after another (each statement of this function sees the joins committed before it).
CREATE FUNCTION class_join(p_class uuid, p_user uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c classes%ROWTYPE;
    taken integer;
BEGIN
    SELECT * INTO c FROM classes WHERE id = p_class FOR UPDATE;
    IF NOT FOUND THEN RETURN 'unknown'; END IF;
    IF EXISTS (SELECT 1 FROM class_members WHERE class_id = p_class AND user_id = p_user) THEN
        RETURN 'already';
    END IF;
    IF c.archived_at IS NOT NULL THEN RETURN 'archived'; END IF;
    IF NOT c.join_enabled THEN RETURN 'closed'; END IF;
    IF c.join_expires_at IS NOT NULL AND now() >= c.join_expires_at THEN RETURN 'expired'; END IF;
    IF c.seat_limit IS NOT NULL THEN
        SELECT count(*) INTO taken FROM class_members WHERE class_id = p_class;
        IF taken >= c.seat_limit THEN RETURN 'full'; END IF;
    END IF;
    INSERT INTO class_members (class_id, user_id) VALUES (p_class, p_user);
    RETURN 'joined';
END
$$;

-- Why a member may not start an attempt of the assignment now, or NULL when they may: 'not_member',
-- 'archived', 'not_open', 'closed', 'no_attempts_left'. Locks the membership row, so simultaneous starts by
-- one member count their attempts one after another; call it in the transaction that inserts the attempt.
CREATE FUNCTION assignment_start_refusal(p_assignment uuid, p_user uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    s assignments%ROWTYPE;
    archived timestamptz;
    o assignment_overrides%ROWTYPE;
    used integer;
BEGIN
    SELECT * INTO s FROM assignments WHERE id = p_assignment;
    IF NOT FOUND THEN RETURN 'not_member'; END IF;
    PERFORM 1 FROM class_members WHERE class_id = s.class_id AND user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN RETURN 'not_member'; END IF;
    SELECT archived_at INTO archived FROM classes WHERE id = s.class_id;
    IF archived IS NOT NULL THEN RETURN 'archived'; END IF;
    SELECT * INTO o FROM assignment_overrides WHERE assignment_id = p_assignment AND user_id = p_user;
    IF s.opens_at IS NOT NULL AND now() < s.opens_at THEN RETURN 'not_open'; END IF;
    -- An assignment that never closes never closes for anybody; a member's later close only moves a close.
    IF s.closes_at IS NOT NULL AND now() >= GREATEST(s.closes_at, o.closes_at) THEN
        RETURN 'closed';
    END IF;
    IF s.max_attempts IS NOT NULL THEN
        SELECT count(*) INTO used FROM attempts WHERE assignment_id = p_assignment AND user_id = p_user;
        IF used >= s.max_attempts + COALESCE(o.extra_attempts, 0) THEN RETURN 'no_attempts_left'; END IF;
    END IF;
    RETURN NULL;
END
$$;

-- The packs whose forms are all class forms (at least one): kept out of practice and out of the review deck. A
-- view read once per query (a hashed subplan), not a function evaluated per row.
CREATE VIEW class_only_packs AS
    SELECT fp.pack_id FROM form_packs fp JOIN exam_forms f ON f.id = fp.form_id
    GROUP BY fp.pack_id HAVING bool_and(f.visibility = 'class');

CREATE OR REPLACE VIEW live_review_cards AS
    SELECT d.user_id, d.blueprint_id, d.item_id, p.pack_key, i.item_key,
           (d.due AT TIME ZONE u.time_zone)::date AS due_day,
           (now() AT TIME ZONE u.time_zone)::date AS today
    FROM review_deck d
    JOIN users u ON u.id = d.user_id
    JOIN items i ON i.id = d.item_id AND NOT i.retired AND NOT i.trial
    JOIN packs p ON p.id = i.pack_id AND p.status = 'published' AND p.blueprint_id = d.blueprint_id
    WHERE p.id NOT IN (SELECT pack_id FROM class_only_packs);
