-- Odoo webhook sidecar: orphan cleanup and retention, in small batches.
--
-- Each function removes at most p_limit rows and returns how many it removed; the caller calls
-- again, each call its own short transaction, until fewer come back. Odoo's tables are only
-- read (anti-joins), so the cleanup takes no lock that would make an Odoo write wait.

-- Finds a record's unsent deliveries. (No such index on webhook_event: every index there is
-- paid by Odoo's writes.)
CREATE INDEX IF NOT EXISTS webhook_delivery_record_index ON webhook_delivery (model, record_id);

-- The table of a tracked model, or NULL if the model is unknown or its table is gone.
CREATE OR REPLACE FUNCTION webhook_tracked_table(p_model text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT table_name FROM webhook_tracked_model
     WHERE model = p_model AND to_regclass(quote_ident(table_name)) IS NOT NULL
$$;

-- Not-yet-sent deliveries (pending or failed) of one tracked model whose record no longer exists,
-- except unlinks, which are the news that it is gone. Rows in flight are skipped.
CREATE OR REPLACE FUNCTION webhook_cleanup_orphan_deliveries(p_model text, p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_table   text;
    v_removed integer;
BEGIN
    v_table := webhook_tracked_table(p_model);
    IF v_table IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE format($q$
        DELETE FROM webhook_delivery WHERE id IN (
            SELECT d.id FROM webhook_delivery d
             WHERE d.model = $1 AND d.status IN ('pending', 'failed') AND d.event <> 'unlink'
               AND NOT EXISTS (SELECT 1 FROM %I t WHERE t.id = d.record_id)
             LIMIT $2
             FOR UPDATE SKIP LOCKED)$q$, v_table)
    USING p_model, p_limit;
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    RETURN v_removed;
END
$$;

-- Routed create and write events of one tracked model whose record no longer exists (unlink
-- events stay: they are the news that it is gone). Unrouted events are the router's.
CREATE OR REPLACE FUNCTION webhook_cleanup_orphan_events(p_model text, p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_table   text;
    v_removed integer;
BEGIN
    v_table := webhook_tracked_table(p_model);
    IF v_table IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE format($q$
        DELETE FROM webhook_event WHERE id IN (
            SELECT e.id FROM webhook_event e
             WHERE e.model = $1 AND e.routed_at IS NOT NULL AND e.event <> 'unlink'
               AND NOT EXISTS (SELECT 1 FROM %I t WHERE t.id = e.record_id)
               -- Still part of an unsent delivery: it goes with that delivery, not before.
               AND NOT EXISTS (SELECT 1 FROM webhook_delivery d
                                WHERE d.model = e.model AND d.record_id = e.record_id
                                  AND d.status <> 'sent')
             LIMIT $2
             FOR UPDATE SKIP LOCKED)$q$, v_table)
    USING p_model, p_limit;
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    RETURN v_removed;
END
$$;

-- Sent deliveries (with their attempts) whose sending is older than p_age.
CREATE OR REPLACE FUNCTION webhook_purge_sent(p_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM webhook_delivery WHERE id IN (
            SELECT id FROM webhook_delivery
             WHERE status = 'sent' AND sent_at < now() - p_age
             LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- Dead deliveries nobody replayed within p_age (kept longer than sent ones, for a human).
CREATE OR REPLACE FUNCTION webhook_purge_dead(p_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM webhook_delivery WHERE id IN (
            SELECT id FROM webhook_delivery
             WHERE status = 'dead' AND updated_at < now() - p_age
             LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- Events routed more than p_age ago that no unsent delivery still needs: fully delivered, or
-- wanted by no subscriber (delivery_count = 0) and older than p_unrouted_age.
CREATE OR REPLACE FUNCTION webhook_purge_events(p_age interval, p_unrouted_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM webhook_event WHERE id IN (
            SELECT e.id FROM webhook_event e
             WHERE e.routed_at IS NOT NULL
               AND e.routed_at < now() - CASE WHEN e.delivery_count = 0 THEN p_unrouted_age ELSE p_age END
               AND NOT EXISTS (SELECT 1 FROM webhook_delivery d
                                WHERE d.model = e.model AND d.record_id = e.record_id
                                  AND d.status <> 'sent' AND d.first_event_id <= e.id)
             LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- Job runs and stopped sidecars' heartbeats older than p_age.
CREATE OR REPLACE FUNCTION webhook_purge_bookkeeping(p_age interval)
RETURNS integer
LANGUAGE sql AS $$
    WITH runs AS (DELETE FROM webhook_job_run WHERE started_at < now() - p_age RETURNING 1),
         instances AS (DELETE FROM webhook_sidecar_instance WHERE last_seen_at < now() - p_age RETURNING 1)
    SELECT ((SELECT count(*) FROM runs) + (SELECT count(*) FROM instances))::integer
$$;

-- Only one sidecar cleans at a time: it holds this session-level lock for the whole run.
-- 131290345988723 is 'whjobs' in ASCII.
CREATE OR REPLACE FUNCTION webhook_try_lock_jobs() RETURNS boolean
LANGUAGE sql AS $$ SELECT pg_try_advisory_lock(131290345988723) $$;

CREATE OR REPLACE FUNCTION webhook_unlock_jobs() RETURNS boolean
LANGUAGE sql AS $$ SELECT pg_advisory_unlock(131290345988723) $$;

-- Queue tables: every routed event and every delivery step leaves a dead row version, and the
-- purge deletes in bulk. Vacuum them after a small share of changes (the defaults wait for 20%
-- of the table), so they stay small under a steady load.
ALTER TABLE webhook_event SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000,
                               autovacuum_vacuum_insert_scale_factor = 0.05);
ALTER TABLE webhook_delivery SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE webhook_attempt SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 1000);
