-- The exam catalogue: every exam (AI-102, AI-103, …) with its status and dates, written from
-- question-bank/exams/<code>/exam.yaml when a bank is loaded. Forms and packs already target a blueprint;
-- an exam names its blueprint, so everything that belongs to an exam is found through it.
CREATE TABLE exams (
    code           text PRIMARY KEY,
    blueprint_id   text NOT NULL UNIQUE REFERENCES blueprints (id),
    -- The whole exam.yaml, as JSON: title, stated status, dates, successor… (the status a page shows is
    -- derived from the dates on the database's date, `Exam::status_on`).
    content        jsonb NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every attempt belongs to one exam's blueprint: an exam-mode attempt through its form, a practice set
-- through the exam it was built for. Existing attempts (all drawn before a second exam existed) are AI-102's.
ALTER TABLE attempts ADD COLUMN blueprint_id text REFERENCES blueprints (id);
UPDATE attempts a
   SET blueprint_id = COALESCE((SELECT f.blueprint_id FROM exam_forms f WHERE f.id = a.form_id), 'ai102');
ALTER TABLE attempts ALTER COLUMN blueprint_id SET NOT NULL;
CREATE INDEX attempts_user_blueprint_idx ON attempts (user_id, blueprint_id, started_at DESC);

-- The exam a person studies for (menus, practice and progress follow it), and the time zone dates are shown in.
ALTER TABLE users ADD COLUMN target_exam text REFERENCES exams (code) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

-- A held upload remembers the exam it was uploaded for (earlier ones were AI-102's).
ALTER TABLE uploads ADD COLUMN blueprint_id text;
UPDATE uploads SET blueprint_id = 'ai102';
