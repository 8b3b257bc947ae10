-- Exam forms, attempts, their items and the candidate's answers.
CREATE TABLE exam_forms (
    id               uuid PRIMARY KEY,
    slug             text NOT NULL UNIQUE,
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    blueprint_id     text NOT NULL REFERENCES blueprints (id),
    item_count       integer NOT NULL CHECK (item_count BETWEEN 1 AND 200),
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 600),
    case_studies     integer NOT NULL DEFAULT 0 CHECK (case_studies >= 0),
    cut_fraction     double precision NOT NULL DEFAULT 0.7 CHECK (cut_fraction > 0 AND cut_fraction < 1),
    owner_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    published        boolean NOT NULL DEFAULT true,
    position         integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE form_packs (
    form_id uuid NOT NULL REFERENCES exam_forms (id) ON DELETE CASCADE,
    pack_id uuid NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    PRIMARY KEY (form_id, pack_id)
);

CREATE TABLE attempts (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    form_id        uuid REFERENCES exam_forms (id) ON DELETE SET NULL,
    mode           text NOT NULL CHECK (mode IN ('exam', 'practice')),
    title          text NOT NULL,
    seed           bigint NOT NULL,
    item_count     integer NOT NULL,
    cut_fraction   double precision NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    -- The exam clock: set from the database's time, enforced in SQL. NULL for untimed practice.
    deadline       timestamptz,
    ended_at       timestamptz,
    ended_reason   text CHECK (ended_reason IN ('submitted', 'expired')),
    -- Case-study sections the candidate has left (they lock, as on the real exam).
    locked_sections text[] NOT NULL DEFAULT '{}',
    raw_score      double precision,
    max_score      double precision,
    scaled_score   integer,
    passed         boolean,
    result         jsonb
);
CREATE INDEX attempts_user_idx ON attempts (user_id, started_at DESC);
CREATE INDEX attempts_open_deadline_idx ON attempts (deadline) WHERE ended_at IS NULL;

-- The items of an attempt, fixed at its start: which revision, in which order, with which option order.
CREATE TABLE attempt_items (
    attempt_id     uuid NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    position       integer NOT NULL,
    revision_id    uuid NOT NULL REFERENCES item_revisions (id),
    -- The question's id; for a case-study question its section is the case study's id.
    question_key   text NOT NULL,
    section_key    text,
    domain         text NOT NULL,
    objective      text NOT NULL,
    presentation   jsonb NOT NULL,
    max_points     double precision NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

CREATE TABLE answers (
    attempt_id uuid NOT NULL,
    position   integer NOT NULL,
    response   jsonb,
    marked     boolean NOT NULL DEFAULT false,
    saved_at   timestamptz NOT NULL DEFAULT now(),
    earned     double precision,
    PRIMARY KEY (attempt_id, position),
    FOREIGN KEY (attempt_id, position) REFERENCES attempt_items (attempt_id, position) ON DELETE CASCADE
);
