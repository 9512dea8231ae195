-- Odoo webhook sidecar, step: claim (due deliveries -> in flight, with a lease, renewed while
-- their requests run).
--
-- The dispatcher claims due deliveries here; finishing them is R__webhook_finish.sql.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- Claims up to p_limit due deliveries for one sidecar: status processing, a lease until
-- now() + p_lease, one more attempt counted. p_subscribers are the subscribers this sidecar may
-- call now and p_slots how many more requests each may take (its max_concurrency less what is
-- in flight), so one busy or slow subscriber never takes every worker. Several sidecars may
-- claim at once (SKIP LOCKED); a record whose delivery is already in flight is skipped, so per
-- record one is in flight.
--
-- The picked ids go into an array first and the UPDATE finds them through the primary key: an
-- UPDATE joined to the picking query gets a row estimate the planner cannot know inside a
-- function (p_limit and the arrays are parameters); it guessed 11,000 rows and hashed the whole
-- webhook_delivery table, sent rows included, on every claim (21 ms instead of 1 ms at 100,000
-- rows, growing with the sent history kept for retention).
--
-- The in-flight test looks up each candidate's record in
-- webhook_delivery_one_in_flight_per_record_index (OFFSET 0 keeps it a lookup per candidate:
-- without it the planner made an anti-join that read every in-flight index entry of the
-- subscriber on every claim, dead ones included. A delivery leaves a dead entry there each time
-- it is sent, until a vacuum; while a long transaction (an Odoo report, a backup) holds back the
-- cleanup, those are thousands: measured 569 of 2,042 buffers per claim after 9,600 sends,
-- bench/backlog-cost.sh; see also V20 on the lease index).
CREATE OR REPLACE FUNCTION webhook_claim_deliveries(p_sidecar text, p_limit integer, p_lease interval,
                                                    p_subscribers bigint[], p_slots integer[])
RETURNS SETOF webhook_delivery
LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
BEGIN
    SELECT array_agg(due.id) INTO v_ids
      FROM (SELECT picked.id
              FROM unnest(p_subscribers, p_slots) AS slots(subscriber_id, free)
              CROSS JOIN LATERAL (
                  SELECT d.id
                    FROM webhook_delivery d
                   WHERE d.subscriber_id = slots.subscriber_id
                     AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= now()
                     AND NOT EXISTS (SELECT 1 FROM webhook_delivery f
                                      WHERE f.subscriber_id = d.subscriber_id AND f.model = d.model
                                        AND f.record_id = d.record_id AND f.test = d.test
                                        AND f.status = 'processing'
                                     OFFSET 0)
                   ORDER BY d.next_attempt_at, d.id
                   LIMIT slots.free
                   FOR UPDATE SKIP LOCKED) picked
             LIMIT p_limit) due;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    UPDATE webhook_delivery d
       SET status = 'processing', locked_by = p_sidecar, locked_until = now() + p_lease,
           attempts = d.attempts + 1, last_attempt_at = now(), updated_at = now()
     WHERE d.id = ANY (v_ids)
    RETURNING d.*;
END
$$;

-- Renews the leases of the deliveries sidecar p_sidecar is still sending (p_ids), to
-- now() + p_lease, in one statement. The dispatcher calls it every third of a lease while
-- requests run, so a lease shorter than a request (or than recording its outcome) never lets
-- lease recovery, this sidecar's or another's, put a delivery back in the queue while its
-- request is in flight (invariant 3). A row another transaction holds is skipped, not waited
-- for: it is being finished, and a wait on many rows in an order of its own could deadlock.
-- Returns how many leases were renewed.
CREATE OR REPLACE FUNCTION webhook_renew_leases(p_sidecar text, p_ids bigint[], p_lease interval)
RETURNS integer
LANGUAGE sql AS $$
    WITH held AS (
        SELECT id FROM webhook_delivery
         WHERE id = ANY (p_ids) AND status = 'processing' AND locked_by = p_sidecar
         ORDER BY id
           FOR UPDATE SKIP LOCKED),
    renewed AS (
        UPDATE webhook_delivery d SET locked_until = now() + p_lease
          FROM held WHERE d.id = held.id
        RETURNING 1)
    SELECT count(*)::integer FROM renewed
$$;
