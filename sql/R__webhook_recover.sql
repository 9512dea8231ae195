-- Odoo webhook sidecar, step: lease recovery.
--
-- Run on a schedule by one sidecar at a time: deliveries whose sidecar died mid-flight (their
-- lease ran out) go back to the queue.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- Lease recovery: deliveries whose sidecar died mid-flight go back to the queue (failed, due
-- now). The attempt may have reached the receiver, so it stays counted and the webhook-id stays.
CREATE OR REPLACE FUNCTION webhook_recover_leases()
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_id    bigint;
    v_count integer := 0;
BEGIN
    -- Try-locks only: this loop takes several records' locks, in an order of its own, so it
    -- skips a busy record (the next run takes it) rather than risk a deadlock with the router.
    FOR v_id IN SELECT id FROM webhook_delivery
                 WHERE status = 'processing' AND locked_until < now()
                   AND webhook_try_lock_record(subscriber_id, model, record_id)
                 ORDER BY id FOR UPDATE SKIP LOCKED LOOP
        PERFORM webhook_absorb_newer(v_id);  -- attempted, so never cancelled out
        UPDATE webhook_delivery
           SET status = 'failed', locked_by = NULL, locked_until = NULL, next_attempt_at = now(),
               last_error_type = 'lease_expired',
               last_error = 'The sidecar that held this delivery stopped before recording the result.',
               updated_at = now()
         WHERE id = v_id;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
