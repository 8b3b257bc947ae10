-- pgbench script: every statement one autosave issues, in the handler's order (web::exam::save): the session
-- middleware's lookup, the attempt with its one position (store::exam::attempt_slot, one statement), then the
-- guarded upsert. (The question's content comes from the in-process revision cache, store::bank::revision, so a
-- warm server does not read it.) It shows what the database can do for the whole save path, next to
-- bench/save_answer.sql (the upsert alone).
--
-- bench/run.sh fills bench_attempts (n, attempt_id, user_id, id_hash) and passes -D attempts=N.
\set n random(1, :attempts)
\set pos random(1, 50)
-- 1. store::users::session_user
SELECT u.id, u.email, u.display_name, u.role, u.extra_time_minutes, s.csrf_token
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = (SELECT id_hash FROM bench_attempts WHERE n = :n) AND s.expires_at > now() AND NOT u.disabled;
-- 2. store::exam::attempt_slot (with_next = false: a save does not need the next position's section)
SELECT a.id, a.user_id, a.form_id, a.blueprint_id, a.mode, a.title, a.item_count, a.cut_fraction, a.started_at,
    a.deadline, a.ended_at, a.ended_reason, a.locked_sections,
    CASE WHEN a.deadline IS NULL THEN NULL
         ELSE GREATEST(0, floor(extract(epoch FROM a.deadline - now())))::bigint END AS seconds_left,
    COALESCE(a.deadline <= now(), false) AS expired, a.scaled_score, a.passed, a.result,
    s.position, s.revision_id, s.question_key, s.section_key, s.domain, s.objective, s.presentation, s.max_points,
    s.response, s.marked, s.earned, s.trial,
    CASE WHEN false THEN (SELECT n.section_key FROM attempt_items n
                         WHERE n.attempt_id = a.id AND n.position = :pos + 1) END AS next_section
FROM attempts a
LEFT JOIN LATERAL (
    SELECT ai.position, ai.revision_id, ai.question_key, ai.section_key, ai.domain, ai.objective,
           ai.presentation, ai.max_points, an.response, COALESCE(an.marked, false) AS marked, an.earned, ai.trial
    FROM attempt_items ai
    LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
    WHERE ai.attempt_id = a.id AND ai.position = :pos) s ON true
WHERE a.id = (SELECT attempt_id FROM bench_attempts WHERE n = :n)
  AND a.user_id = (SELECT user_id FROM bench_attempts WHERE n = :n);
-- 3. store::exam::save_answer (as in bench/save_answer.sql)
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
