-- Odoo webhook sidecar, step: cleanup (orphans and retention, in small batches).
--
-- Each function removes at most p_limit rows and returns how many it removed; the caller calls
-- again, each call its own short transaction, until fewer come back. Odoo's tables are only
-- read (anti-joins), so the cleanup takes no lock that would make an Odoo write wait. One
-- sidecar at a time runs the scheduled jobs (webhook_try_lock_jobs).
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

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
               AND NOT d.test  -- a test of a deleted record is sent as asked (record: null)
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
                                  AND d.status <> 'sent' AND NOT d.test)
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

-- Dead deliveries nobody replayed within p_age (kept longer than sent ones, for a human), and
-- cancelled ones likewise, p_age after their cancellation (it sets updated_at).
CREATE OR REPLACE FUNCTION webhook_purge_dead(p_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM webhook_delivery WHERE id IN (
            SELECT id FROM webhook_delivery
             WHERE status IN ('dead', 'cancelled') AND updated_at < now() - p_age
             LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- ---------------------------------------------------------------------------------------------
-- Retention that respects pull devices.
--
-- An event leaves webhook_event (moved to webhook_event_archive) when it was routed more than
-- p_age ago (p_unrouted_age when no subscriber wanted it, delivery_count = 0), no unsent delivery
-- still needs it, AND every active device has acknowledged it, or it was routed more than
-- p_device_age ago (30 d) whatever the devices. Archived events are deleted p_archive_age
-- (90 d) after routing (webhook_purge_archive). The highest routed_seq moved out is kept in
-- webhook_pull_horizon: a device whose cursor is below it has missed something and is told to
-- resync instead of being given a gap.
--
-- SECURITY DEFINER: it reads the device and token tables, on which a least-privilege sidecar
-- role may have no grant; it only ever applies the retention rules below.
-- ---------------------------------------------------------------------------------------------

-- The three-argument form, which ignored devices, was replaced by this one.
DROP FUNCTION IF EXISTS webhook_purge_events(interval, interval, integer);

CREATE OR REPLACE FUNCTION webhook_purge_events(p_age interval, p_unrouted_age interval,
                                                p_device_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH slowest AS (
        -- The lowest cursor of an active device (token not revoked, synced lately); NULL: none.
        SELECT min(d.cursor_seq) AS seq
          FROM webhook_device d JOIN webhook_api_token t ON t.id = d.token_id
         WHERE t.revoked_at IS NULL AND d.last_sync_at > now() - p_device_age),
    gone AS (
        DELETE FROM webhook_event WHERE id IN (
            SELECT e.id FROM webhook_event e
             WHERE e.routed_at IS NOT NULL
               AND e.routed_at < now() - CASE WHEN e.delivery_count = 0 THEN p_unrouted_age ELSE p_age END
               AND (e.routed_seq IS NULL
                    OR e.routed_seq <= coalesce((SELECT seq FROM slowest), 9223372036854775807)
                    OR e.routed_at < now() - p_device_age)
               AND NOT EXISTS (SELECT 1 FROM webhook_delivery d
                                WHERE d.model = e.model AND d.record_id = e.record_id
                                  AND d.status <> 'sent' AND d.first_event_id <= e.id
                                  AND NOT d.test)
             LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING *),
    archived AS (
        INSERT INTO webhook_event_archive (id, model, record_id, event, changed_fields, txid,
                                           captured_at, routed_at, delivery_count, routed_seq)
        SELECT id, model, record_id, event, changed_fields, txid, captured_at, routed_at,
               delivery_count, routed_seq
          FROM gone
        ON CONFLICT (id) DO NOTHING),
    horizon AS (
        UPDATE webhook_pull_horizon
           SET removed_through = greatest(removed_through, (SELECT max(routed_seq) FROM gone))
         WHERE (SELECT max(routed_seq) FROM gone) > removed_through)
    SELECT count(*)::integer FROM gone
$$;

-- Archived events routed more than p_age ago.
CREATE OR REPLACE FUNCTION webhook_purge_archive(p_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (
        DELETE FROM webhook_event_archive WHERE id IN (
            SELECT id FROM webhook_event_archive
             WHERE coalesce(routed_at, archived_at) < now() - p_age
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
