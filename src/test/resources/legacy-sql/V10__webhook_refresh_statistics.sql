-- Fresh planner statistics for the sidecar's busy tables while they grow.
--
-- The sidecar's functions run on long-lived connections, and PostgreSQL caches a generic plan
-- for each statement of a plpgsql function after its fifth run. A plan made while a table was
-- nearly empty (a new install, the start of a backlog, after a purge) scans the whole table, and
-- it is kept until the table's statistics change. Autovacuum refreshes them, but it looks at
-- each database only once a minute, and by its own rule (10% of the rows changed). Measured
-- here: routing 300 new records went from 7 ms to 160 ms as webhook_event grew from nothing
-- to 45,000 rows under such a plan, and back to 7 ms at once after an ANALYZE in another session
-- (it invalidates every session's cached plans of that table).
--
-- The sidecar calls this every second. It analyzes a table once more rows changed since its
-- last analysis than it had then (and at least 1,000): while a table grows, once each time it
-- doubles; later, about once per full turnover of its rows. Tables owned by someone else (the
-- least-privilege role of sql/optional) are skipped: autovacuum still covers them.
-- Returns the names of the tables it analyzed.
CREATE OR REPLACE FUNCTION webhook_refresh_statistics()
RETURNS text[]
LANGUAGE plpgsql
-- Never queue behind autovacuum or another sidecar analyzing the same table: the next call,
-- a second later, tries again.
SET lock_timeout = '100ms'
AS $$
DECLARE
    v_table    text;
    v_analyzed text[] := '{}';
BEGIN
    FOR v_table IN
        SELECT c.relname
          FROM pg_class c
         WHERE c.oid IN ('webhook_event'::regclass, 'webhook_delivery'::regclass,
                         'webhook_attempt'::regclass)
           AND pg_stat_get_mod_since_analyze(c.oid) > greatest(1000, c.reltuples)
           AND pg_has_role(c.relowner, 'USAGE')
         ORDER BY c.relname
    LOOP
        BEGIN
            EXECUTE format('ANALYZE %I', v_table);
            v_analyzed := v_analyzed || v_table;
        EXCEPTION WHEN lock_not_available THEN
            NULL;  -- being analyzed or vacuumed right now
        END;
    END LOOP;
    RETURN v_analyzed;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        GRANT EXECUTE ON FUNCTION webhook_refresh_statistics() TO webhook_sidecar;
    END IF;
END
$$;
