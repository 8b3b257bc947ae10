-- The admin dashboard's figures summed per form and UTC day of start (issue 18, "Analytics at 100,000
-- attempts"): the dashboard adds up at most forms × days rows, whatever the number of attempts, where it used to
-- read one `attempt_summaries` row per ended attempt and five `attempt_domain_points` rows per finished one.
--
-- Kept by a statement-level trigger on `attempt_summaries`, so they follow every path that changes the rollups
-- (`analytics_apply` of 0010 adds an attempt's summary and its domain points in one statement, and takes them away
-- summary first): when summaries are inserted, the attempts' domain points are already there; when summaries are
-- deleted, theirs are still there. `form_key` is the form, or the nil uuid for an attempt without one. Whole
-- numbers are kept exact (bigint); a dashboard mean is a whole sum over a whole count, so it equals the mean the
-- live computation gives.

CREATE TABLE dashboard_days (
    form_key    uuid NOT NULL,
    day         date NOT NULL,
    -- Ended attempts; finished ones; finished ones with a scaled score, and their sum (negative scores as 0).
    ended       bigint NOT NULL,
    finished    bigint NOT NULL,
    scored      bigint NOT NULL,
    score_sum   bigint NOT NULL,
    -- Finished attempts with a pass or fail, and how many passed.
    judged      bigint NOT NULL,
    passes      bigint NOT NULL,
    -- Finished attempts' minutes used and allowed: how many have one, and their sum.
    n_used      bigint NOT NULL,
    used_sum    double precision NOT NULL,
    n_allowed   bigint NOT NULL,
    allowed_sum double precision NOT NULL,
    PRIMARY KEY (form_key, day)
);

-- Finished attempts' scaled scores, counted in the histogram's 20 bins of 50 (bin 19 also holds 1000 and above).
CREATE TABLE dashboard_day_bins (
    form_key uuid NOT NULL,
    day      date NOT NULL,
    bin      smallint NOT NULL CHECK (bin BETWEEN 0 AND 19),
    attempts bigint NOT NULL,
    PRIMARY KEY (form_key, day, bin)
);

-- Finished attempts' points per domain (scored items only, as in attempt_domain_points).
CREATE TABLE dashboard_day_domains (
    form_key uuid NOT NULL,
    day      date NOT NULL,
    domain   text NOT NULL,
    attempts bigint NOT NULL,
    earned   double precision NOT NULL,
    max      double precision NOT NULL,
    PRIMARY KEY (form_key, day, domain)
);

-- Adds `sign` (1 or -1) times the given summaries to the day rollups, with their attempts' domain points. Each
-- upsert runs in key order, so concurrent submissions lock shared rows in the same order.
CREATE FUNCTION dashboard_days_add(summaries attempt_summaries[], sign integer) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO dashboard_days AS d (form_key, day, ended, finished, scored, score_sum, judged, passes, n_used,
                                     used_sum, n_allowed, allowed_sum)
    SELECT COALESCE(c.form_id, '00000000-0000-0000-0000-000000000000'::uuid), (c.started_at AT TIME ZONE 'UTC')::date,
           sign * count(*), sign * count(*) FILTER (WHERE c.finished),
           sign * count(c.scaled_score) FILTER (WHERE c.finished),
           sign * COALESCE(sum(GREATEST(c.scaled_score, 0)) FILTER (WHERE c.finished), 0),
           sign * count(c.passed) FILTER (WHERE c.finished),
           sign * count(*) FILTER (WHERE c.finished AND c.passed),
           sign * count(c.minutes_used) FILTER (WHERE c.finished),
           sign * COALESCE(sum(c.minutes_used) FILTER (WHERE c.finished), 0),
           sign * count(c.minutes_allowed) FILTER (WHERE c.finished),
           sign * COALESCE(sum(c.minutes_allowed) FILTER (WHERE c.finished), 0)
    FROM unnest(summaries) c
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (form_key, day) DO UPDATE SET
        ended = d.ended + EXCLUDED.ended, finished = d.finished + EXCLUDED.finished,
        scored = d.scored + EXCLUDED.scored, score_sum = d.score_sum + EXCLUDED.score_sum,
        judged = d.judged + EXCLUDED.judged, passes = d.passes + EXCLUDED.passes,
        n_used = d.n_used + EXCLUDED.n_used, used_sum = d.used_sum + EXCLUDED.used_sum,
        n_allowed = d.n_allowed + EXCLUDED.n_allowed, allowed_sum = d.allowed_sum + EXCLUDED.allowed_sum;

    INSERT INTO dashboard_day_bins AS b (form_key, day, bin, attempts)
    SELECT COALESCE(c.form_id, '00000000-0000-0000-0000-000000000000'::uuid), (c.started_at AT TIME ZONE 'UTC')::date,
           LEAST(width_bucket(GREATEST(c.scaled_score, 0)::float8, 0, 1000, 20), 20) - 1, sign * count(*)
    FROM unnest(summaries) c
    WHERE c.finished AND c.scaled_score IS NOT NULL
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (form_key, day, bin) DO UPDATE SET attempts = b.attempts + EXCLUDED.attempts;

    INSERT INTO dashboard_day_domains AS m (form_key, day, domain, attempts, earned, max)
    SELECT COALESCE(c.form_id, '00000000-0000-0000-0000-000000000000'::uuid), (c.started_at AT TIME ZONE 'UTC')::date,
           p.domain, sign * count(*), sign * sum(p.earned), sign * sum(p.max)
    FROM unnest(summaries) c JOIN attempt_domain_points p ON p.attempt_id = c.attempt_id
    WHERE c.finished
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (form_key, day, domain) DO UPDATE SET
        attempts = m.attempts + EXCLUDED.attempts, earned = m.earned + EXCLUDED.earned, max = m.max + EXCLUDED.max;
END
$fn$;

-- Adds the inserted summaries, or takes the deleted ones away (`changed` is the statement's transition table).
CREATE FUNCTION dashboard_days_after_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    -- A transition table's rows are records: ROW(c.*) gives them back their table's type.
    PERFORM dashboard_days_add((SELECT array_agg(ROW(c.*)::attempt_summaries) FROM changed c),
                               CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END);
    RETURN NULL;
END
$fn$;

CREATE TRIGGER attempt_summaries_dashboard_insert AFTER INSERT ON attempt_summaries
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_days_after_change();
CREATE TRIGGER attempt_summaries_dashboard_delete AFTER DELETE ON attempt_summaries
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_days_after_change();

-- A summary's figures never change in place (only its owner does, when an account's data moves): refuse any
-- other update, which would leave the days behind.
CREATE FUNCTION attempt_summaries_figures_fixed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF (OLD.form_id, OLD.started_at, OLD.finished, OLD.scaled_score, OLD.passed, OLD.minutes_used,
        OLD.minutes_allowed) IS DISTINCT FROM (NEW.form_id, NEW.started_at, NEW.finished, NEW.scaled_score,
        NEW.passed, NEW.minutes_used, NEW.minutes_allowed) THEN
        RAISE EXCEPTION 'attempt_summaries rows are deleted and inserted again, not updated (dashboard_days)';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER attempt_summaries_figures_fixed BEFORE UPDATE ON attempt_summaries
    FOR EACH ROW EXECUTE FUNCTION attempt_summaries_figures_fixed();

-- The backfill, from the summaries and domain points as they are.
SELECT dashboard_days_add(array_agg(s), 1) FROM attempt_summaries s;

-- The exam's pass rates by month (`store::classes::pass_rates`, on the same page) read every ended exam attempt of
-- the exam: this index holds what they need, so the read stays in the index (but for the `attempt_summaries` row
-- that says whether an expired attempt finished, found by its id).
CREATE INDEX attempts_pass_rates_idx ON attempts (blueprint_id)
    INCLUDE (started_at, passed, assignment_id, ended_reason, id)
    WHERE mode = 'exam' AND ended_at IS NOT NULL AND passed IS NOT NULL;

-- Staff pages open on the exam of the site's latest exam attempt (`store::exams::latest_site_wide`) when no exam is
-- asked for: without this index that is a scan of every attempt.
CREATE INDEX attempts_exam_started_idx ON attempts (started_at) WHERE mode = 'exam';
