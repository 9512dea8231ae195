-- Odoo webhook sidecar: claiming due deliveries at a cost that does not grow with history.
--
-- The claim of V3 picked the due rows well (the due index, a few pages) but then updated them
-- through a join whose size the planner could not know inside a function (p_limit and the
-- subscriber arrays are parameters): it guessed 11,000 rows and hashed the whole
-- webhook_delivery table, sent rows included, on every claim. With 100,000 rows that was 21 ms
-- a claim instead of 1 ms, and it grows with the sent history kept for retention. Here the
-- picked ids go into an array first and the update finds them through the primary key.
-- Same arguments, same result, same locking (FOR UPDATE SKIP LOCKED, one in flight per record).

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
                                        AND f.record_id = d.record_id AND f.status = 'processing')
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
