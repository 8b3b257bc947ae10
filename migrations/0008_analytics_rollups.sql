-- Analytics rollups, so the admin dashboard and the item analysis stay live at 100,000 attempts
-- (docs/performance.md, "Analytics at 100,000 attempts"). Numbered 0009 to leave 0007/0008 to other branches.
--
-- They hold only what an ended exam-mode attempt contributes, and they are maintained by triggers on
-- `attempts`, in the transaction that ends the attempt (`store::exam::finalize`): never out of date, whatever
-- path ends, moves (the demo's backdating), re-modes or deletes an attempt. `analytics_apply(.., +1)` adds
-- attempts, `analytics_apply(.., -1)` takes them away again from the very same rows.
--
-- Vocabulary as in src/store/analytics.rs: an ended attempt is *finished* when it was submitted or expired
-- with at least one answer, else *abandoned*.

-- One row per ended exam attempt: what the dashboard reads (a narrow copy of `attempts`).
CREATE TABLE attempt_summaries (
    attempt_id      uuid PRIMARY KEY REFERENCES attempts (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL,
    form_id         uuid,
    started_at      timestamptz NOT NULL,
    finished        boolean NOT NULL,
    scaled_score    integer,
    passed          boolean,
    minutes_used    double precision,
    minutes_allowed double precision,
    -- Points earned over points at stake, over every item of the attempt (finished attempts only).
    total_fraction  double precision
);
CREATE INDEX attempt_summaries_started_idx ON attempt_summaries (started_at);

-- Points per domain of each finished attempt (the dashboard's domain chart).
CREATE TABLE attempt_domain_points (
    attempt_id uuid NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    domain     text NOT NULL,
    earned     double precision NOT NULL,
    max        double precision NOT NULL,
    PRIMARY KEY (attempt_id, domain)
);

-- The packs each finished attempt drew from (how many attempts an instructor's items were in).
CREATE TABLE attempt_packs (
    pack_id    uuid NOT NULL,
    attempt_id uuid NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    PRIMARY KEY (pack_id, attempt_id)
);
CREATE INDEX attempt_packs_attempt_idx ON attempt_packs (attempt_id);

-- Item analysis sums, per question of a revision and per bucket of the attempts' total score
-- (bucket = ⌊100 · total fraction⌋, 0..100). Over the observations (attempt × item, finished attempts, items
-- worth points) in the bucket: x = item score (earned / max), r = rest score (the other items' fraction, when
-- they are worth points), s = seconds on the item (when known). Pearson's item–rest correlation, facility and
-- time come exactly from the sums; the upper and lower 27 % groups come from the buckets (see
-- src/analytics/rollup.rs for the one approximation, the bucket that straddles a group's edge).
CREATE TABLE item_rollups (
    revision_id  uuid NOT NULL REFERENCES item_revisions (id),
    question_key text NOT NULL,
    bucket       smallint NOT NULL CHECK (bucket BETWEEN 0 AND 100),
    domain       text NOT NULL,
    objective    text NOT NULL,
    n            bigint NOT NULL,
    sum_x        double precision NOT NULL,
    sum_x2       double precision NOT NULL,
    -- Observations with a rest score, and the sums over them.
    n_rest       bigint NOT NULL,
    sum_x_rest   double precision NOT NULL,
    sum_x2_rest  double precision NOT NULL,
    sum_r        double precision NOT NULL,
    sum_r2       double precision NOT NULL,
    sum_xr       double precision NOT NULL,
    n_seconds    bigint NOT NULL,
    sum_seconds  double precision NOT NULL,
    -- Option id → times chosen (single and multiple questions).
    options      jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (revision_id, question_key, bucket)
);

-- Adds two {key: count} objects.
CREATE FUNCTION analytics_merge_counts(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(jsonb_object_agg(k, v) FILTER (WHERE v <> 0), '{}'::jsonb)
    FROM (SELECT k, sum(v::bigint) AS v
          FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS u (k, v)
          GROUP BY k) AS s
$$;

-- Adds (sign = 1) or removes (sign = -1) ended exam attempts, given as they are (adding) or were (removing):
-- id, start and end reason. Reads their items and answers, which no longer change once an attempt has ended.
CREATE FUNCTION analytics_apply(ids uuid[], starts timestamptz[], reasons text[], sign integer)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    IF sign < 0 THEN
        DELETE FROM attempt_summaries WHERE attempt_id = ANY (ids);
        DELETE FROM attempt_domain_points WHERE attempt_id = ANY (ids);
        DELETE FROM attempt_packs WHERE attempt_id = ANY (ids);
    END IF;
    WITH att AS (
        SELECT t.id, t.started_at,
               (t.reason = 'submitted' OR EXISTS (
                   SELECT 1 FROM answers x WHERE x.attempt_id = t.id AND x.response IS NOT NULL)) AS finished
        FROM unnest(ids, starts, reasons) AS t (id, started_at, reason)
    ), obs AS (
        SELECT ai.attempt_id, ai.revision_id, ai.question_key, ai.domain, ai.objective, ai.max_points AS m,
               COALESCE(an.earned, 0)::float8 AS e, an.response,
               CASE WHEN an.response IS NULL THEN NULL ELSE
                 extract(epoch FROM an.saved_at - COALESCE(
                   lag(an.saved_at) OVER (PARTITION BY ai.attempt_id, an.response IS NOT NULL ORDER BY an.saved_at),
                   att.started_at))::float8 END AS seconds
        FROM att
        JOIN attempt_items ai ON ai.attempt_id = att.id
        LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
        WHERE att.finished
    ), tot AS (
        SELECT attempt_id, sum(e) AS e_all, sum(m) AS m_all,
               COALESCE(sum(LEAST(GREATEST(e, 0), m)) FILTER (WHERE m > 0), 0) AS ve,
               COALESCE(sum(m) FILTER (WHERE m > 0), 0) AS vm
        FROM obs GROUP BY attempt_id
    ), scored AS (
        SELECT o.revision_id, o.question_key, o.domain, o.objective,
               LEAST(100, GREATEST(0, floor(100 * CASE WHEN t.m_all > 0 THEN t.e_all / t.m_all ELSE 0 END)))::smallint
                 AS bucket,
               LEAST(GREATEST(o.e, 0), o.m) / o.m AS x,
               CASE WHEN t.vm - o.m > 1e-12 THEN
                 LEAST(1, GREATEST(0, (t.ve - LEAST(GREATEST(o.e, 0), o.m)) / (t.vm - o.m))) END AS r,
               CASE WHEN o.seconds >= 0 THEN o.seconds END AS s,
               CASE o.response->>'type'
                 WHEN 'single' THEN jsonb_build_array(o.response->'answer')
                 WHEN 'multiple' THEN o.response->'answer'
                 ELSE '[]'::jsonb END AS chosen
        FROM obs o JOIN tot t USING (attempt_id)
        WHERE o.m > 0
    ), picked AS (
        SELECT revision_id, question_key, bucket, jsonb_object_agg(option_id, times) AS options
        FROM (SELECT revision_id, question_key, bucket, c.value #>> '{}' AS option_id, count(*) AS times
              FROM scored, jsonb_array_elements(scored.chosen) AS c
              GROUP BY 1, 2, 3, 4) AS o
        GROUP BY 1, 2, 3
    ), agg AS (
        SELECT revision_id, question_key, bucket, min(domain) AS domain, min(objective) AS objective,
               count(*) AS n, sum(x) AS sum_x, sum(x * x) AS sum_x2,
               count(r) AS n_rest,
               COALESCE(sum(x) FILTER (WHERE r IS NOT NULL), 0) AS sum_x_rest,
               COALESCE(sum(x * x) FILTER (WHERE r IS NOT NULL), 0) AS sum_x2_rest,
               COALESCE(sum(r), 0) AS sum_r, COALESCE(sum(r * r), 0) AS sum_r2, COALESCE(sum(x * r), 0) AS sum_xr,
               count(s) AS n_seconds, COALESCE(sum(s), 0) AS sum_seconds
        FROM scored GROUP BY 1, 2, 3
    ), item_sums AS (
        INSERT INTO item_rollups AS ir (revision_id, question_key, bucket, domain, objective, n, sum_x, sum_x2,
                                        n_rest, sum_x_rest, sum_x2_rest, sum_r, sum_r2, sum_xr, n_seconds,
                                        sum_seconds, options)
        SELECT a.revision_id, a.question_key, a.bucket, a.domain, a.objective, sign * a.n, sign * a.sum_x,
               sign * a.sum_x2, sign * a.n_rest, sign * a.sum_x_rest, sign * a.sum_x2_rest, sign * a.sum_r,
               sign * a.sum_r2, sign * a.sum_xr, sign * a.n_seconds, sign * a.sum_seconds,
               analytics_merge_counts('{}'::jsonb, COALESCE(
                 (SELECT jsonb_object_agg(k, sign * v::bigint) FROM jsonb_each_text(p.options) AS e (k, v)),
                 '{}'::jsonb))
        FROM agg a LEFT JOIN picked p USING (revision_id, question_key, bucket)
        -- A fixed order, so concurrent finalizations lock shared rows in the same order.
        ORDER BY a.revision_id, a.question_key, a.bucket
        ON CONFLICT (revision_id, question_key, bucket) DO UPDATE SET
            n = ir.n + EXCLUDED.n, sum_x = ir.sum_x + EXCLUDED.sum_x, sum_x2 = ir.sum_x2 + EXCLUDED.sum_x2,
            n_rest = ir.n_rest + EXCLUDED.n_rest, sum_x_rest = ir.sum_x_rest + EXCLUDED.sum_x_rest,
            sum_x2_rest = ir.sum_x2_rest + EXCLUDED.sum_x2_rest, sum_r = ir.sum_r + EXCLUDED.sum_r,
            sum_r2 = ir.sum_r2 + EXCLUDED.sum_r2, sum_xr = ir.sum_xr + EXCLUDED.sum_xr,
            n_seconds = ir.n_seconds + EXCLUDED.n_seconds, sum_seconds = ir.sum_seconds + EXCLUDED.sum_seconds,
            options = analytics_merge_counts(ir.options, EXCLUDED.options)
        RETURNING 1
    ), summaries AS (
        INSERT INTO attempt_summaries (attempt_id, user_id, form_id, started_at, finished, scaled_score, passed,
                                       minutes_used, minutes_allowed, total_fraction)
        SELECT a.id, a.user_id, a.form_id, a.started_at, att.finished, a.scaled_score, a.passed,
               (extract(epoch FROM a.ended_at - a.started_at) / 60.0)::float8,
               (extract(epoch FROM a.deadline - a.started_at) / 60.0)::float8,
               CASE WHEN t.m_all > 0 THEN t.e_all / t.m_all END
        FROM att JOIN attempts a ON a.id = att.id LEFT JOIN tot t ON t.attempt_id = a.id
        WHERE sign > 0
        RETURNING 1
    ), domains AS (
        INSERT INTO attempt_domain_points (attempt_id, domain, earned, max)
        SELECT attempt_id, domain, sum(e), sum(m) FROM obs WHERE sign > 0 GROUP BY 1, 2
        RETURNING 1
    )
    INSERT INTO attempt_packs (pack_id, attempt_id)
    SELECT DISTINCT i.pack_id, o.attempt_id
    FROM obs o JOIN item_revisions r ON r.id = o.revision_id JOIN items i ON i.id = r.item_id
    WHERE sign > 0;
END
$fn$;

-- An attempt counts when it is an ended exam attempt; any change to what it contributes (ending it, moving
-- it in time, turning it into practice) takes the old contribution away and adds the new one.
CREATE FUNCTION attempts_rollup_after_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    ids uuid[];
    starts timestamptz[];
    reasons text[];
BEGIN
    SELECT array_agg(o.id), array_agg(o.started_at), array_agg(o.ended_reason) INTO ids, starts, reasons
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE o.mode = 'exam' AND o.ended_reason IS NOT NULL
      AND (o.mode, o.ended_reason, o.started_at, o.ended_at, o.deadline, o.scaled_score, o.passed, o.form_id,
           o.user_id)
          IS DISTINCT FROM
          (n.mode, n.ended_reason, n.started_at, n.ended_at, n.deadline, n.scaled_score, n.passed, n.form_id,
           n.user_id);
    IF ids IS NOT NULL THEN
        PERFORM analytics_apply(ids, starts, reasons, -1);
    END IF;
    SELECT array_agg(n.id), array_agg(n.started_at), array_agg(n.ended_reason) INTO ids, starts, reasons
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.mode = 'exam' AND n.ended_reason IS NOT NULL
      AND (o.mode, o.ended_reason, o.started_at, o.ended_at, o.deadline, o.scaled_score, o.passed, o.form_id,
           o.user_id)
          IS DISTINCT FROM
          (n.mode, n.ended_reason, n.started_at, n.ended_at, n.deadline, n.scaled_score, n.passed, n.form_id,
           n.user_id);
    IF ids IS NOT NULL THEN
        PERFORM analytics_apply(ids, starts, reasons, 1);
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER attempts_rollup_update AFTER UPDATE ON attempts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attempts_rollup_after_update();

-- A deleted attempt (e.g. its candidate's account) leaves the item sums; its own rows go by cascade.
CREATE FUNCTION attempts_rollup_before_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM analytics_apply(ARRAY[OLD.id], ARRAY[OLD.started_at], ARRAY[OLD.ended_reason], -1);
    RETURN OLD;
END
$fn$;
CREATE TRIGGER attempts_rollup_delete BEFORE DELETE ON attempts
    FOR EACH ROW WHEN (OLD.mode = 'exam' AND OLD.ended_reason IS NOT NULL)
    EXECUTE FUNCTION attempts_rollup_before_delete();

-- The backfill: every exam attempt that has ended so far.
SELECT analytics_apply(array_agg(id), array_agg(started_at), array_agg(ended_reason), 1)
FROM attempts WHERE mode = 'exam' AND ended_reason IS NOT NULL
HAVING count(*) > 0;
