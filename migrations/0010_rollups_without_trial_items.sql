-- The analytics rollups (0008) without unscored trial items (0009): an attempt's total, its score bucket
-- and its domain points are its scored items' only; a trial item's statistics are kept as any item's, with
-- the attempt's whole scored total as its rest score (it is not part of that total). The rollups are rebuilt.

CREATE OR REPLACE FUNCTION analytics_apply(ids uuid[], starts timestamptz[], reasons text[], sign integer)
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
        SELECT ai.attempt_id, ai.revision_id, ai.question_key, ai.domain, ai.objective, ai.max_points AS m, ai.trial,
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
        SELECT attempt_id, COALESCE(sum(e) FILTER (WHERE NOT trial), 0) AS e_all,
               COALESCE(sum(m) FILTER (WHERE NOT trial), 0) AS m_all,
               COALESCE(sum(LEAST(GREATEST(e, 0), m)) FILTER (WHERE m > 0 AND NOT trial), 0) AS ve,
               COALESCE(sum(m) FILTER (WHERE m > 0 AND NOT trial), 0) AS vm
        FROM obs GROUP BY attempt_id
    ), scored AS (
        SELECT o.revision_id, o.question_key, o.domain, o.objective,
               LEAST(100, GREATEST(0, floor(100 * CASE WHEN t.m_all > 0 THEN t.e_all / t.m_all ELSE 0 END)))::smallint
                 AS bucket,
               LEAST(GREATEST(o.e, 0), o.m) / o.m AS x,
               CASE WHEN o.trial THEN
                 CASE WHEN t.vm > 1e-12 THEN LEAST(1, GREATEST(0, t.ve / t.vm)) END
               WHEN t.vm - o.m > 1e-12 THEN
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
        SELECT attempt_id, domain, sum(e), sum(m) FROM obs WHERE sign > 0 AND NOT trial GROUP BY 1, 2
        RETURNING 1
    )
    INSERT INTO attempt_packs (pack_id, attempt_id)
    SELECT DISTINCT i.pack_id, o.attempt_id
    FROM obs o JOIN item_revisions r ON r.id = o.revision_id JOIN items i ON i.id = r.item_id
    WHERE sign > 0;
END
$fn$;

-- Rebuild every rollup with this function, so that none keeps a contribution computed the old way.
TRUNCATE item_rollups, attempt_summaries, attempt_domain_points, attempt_packs;
SELECT analytics_apply(array_agg(id), array_agg(started_at), array_agg(ended_reason), 1)
FROM attempts WHERE mode = 'exam' AND ended_reason IS NOT NULL
HAVING count(*) > 0;
