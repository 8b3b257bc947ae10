-- pgbench script: the one statement an answer save runs (store::exam::save_answer, src/store/exam.rs), with the
-- values a single-choice autosave binds, so that pgbench measures the database's ceiling for saves.
--
-- bench/run.sh fills bench_attempts (n, attempt_id, user_id) with the attempts the load test created (reopened,
-- all of 50 items) and passes their count:  pgbench -n -f bench/save_answer.sql -D attempts=N ...
\set n random(1, :attempts)
\set pos random(1, 50)
WITH t AS (
    SELECT attempt_id, user_id FROM bench_attempts WHERE n = :n
), a AS (
    SELECT id, (NULL::text IS NOT NULL AND NULL::text = ANY(locked_sections)) AS section_locked FROM attempts
    WHERE id = (SELECT attempt_id FROM t) AND user_id = (SELECT user_id FROM t)
      AND ended_at IS NULL AND (deadline IS NULL OR now() < deadline)
), up AS (
    INSERT INTO answers (attempt_id, position, response, marked, saved_at)
    SELECT a.id, :pos, CASE WHEN true THEN '{"type": "single", "answer": "b"}'::jsonb ELSE NULL END,
           COALESCE(false, false), now() FROM a
    WHERE NOT a.section_locked
    ON CONFLICT (attempt_id, position) DO UPDATE SET
        response = CASE WHEN true THEN EXCLUDED.response ELSE answers.response END,
        marked = COALESCE(false, answers.marked),
        saved_at = now()
    WHERE NOT true OR NOT false OR answers.response IS NULL
       OR (EXCLUDED.response IS NOT NULL AND EXCLUDED.response @> answers.response)
    RETURNING 1
)
SELECT (SELECT count(*) FROM a) AS open, (SELECT count(*) FROM up) AS saved;
