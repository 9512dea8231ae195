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
-- now). The attempt may have reached the receiver, so it stays counted and the webhook-id stays;
-- once the attempts exceed the subscriber's max_retries the delivery is dead instead, so a
-- delivery that kills every sidecar that sends it ends like any other that keeps failing.
--
-- A sidecar renews the leases of what it is still sending (webhook_renew_leases,
-- R__webhook_claim.sql), so a lease shorter than a request never lets this function re-queue a
-- delivery whose request is still in flight.
CREATE OR REPLACE FUNCTION webhook_recover_leases()
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_id       bigint;
    v_count    integer := 0;
    v_exhausted boolean;
BEGIN
    -- Try-locks only: this loop takes several records' locks, in an order of its own, so it
    -- skips a busy record (the next run takes it) rather than risk a deadlock with the router.
    FOR v_id, v_exhausted IN
        SELECT d.id, d.attempts > s.max_retries
          FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id
         WHERE d.status = 'processing' AND d.locked_until < now()
           AND webhook_try_lock_record(d.subscriber_id, d.model, d.record_id)
         ORDER BY d.id FOR UPDATE OF d SKIP LOCKED LOOP
        IF NOT v_exhausted THEN
            PERFORM webhook_absorb_newer(v_id);  -- attempted, so never cancelled out
        END IF;
        UPDATE webhook_delivery
           SET status = CASE WHEN v_exhausted THEN 'dead' ELSE 'failed' END,
               locked_by = NULL, locked_until = NULL, next_attempt_at = now(),
               last_error_type = 'lease_expired',
               last_error = 'The sidecar that held this delivery stopped before recording the result.',
               updated_at = now()
         WHERE id = v_id;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
