-- Successful attempts recorded many at a time.
--
-- webhook_finish_attempt (V3) records one attempt per transaction. While a backlog drains, that
-- call was the largest single cost of PostgreSQL and of the sidecar's own database round trips
-- (benchmarks: 0.23 ms per delivery, one commit each). Most outcomes are successes, and a
-- success changes nothing but its own row: it does not change which delivery of the record is
-- open (no merging, unlike a failure), so it needs neither the record lock nor another row.
--
-- This function records a batch of successes in one transaction and never waits for a lock:
-- it takes the row locks it can get at once (SKIP LOCKED) and leaves the rest. A batch holds
-- many rows' locks at once, in its own order, so a batch that waited could deadlock with the
-- router or lease recovery; one that never waits cannot be part of a deadlock. The caller
-- records whatever was left with webhook_finish_attempt, which waits safely, and which also
-- tells a lost lease or a deleted delivery apart.
--
-- Returns the ids it recorded as sent (status 'sent', attempt row written, lease cleared): the
-- ones still in flight and held by p_sidecar whose row was not locked by anybody else.
CREATE OR REPLACE FUNCTION webhook_finish_sent(
    p_sidecar text, p_ids bigint[], p_started_at timestamptz[], p_duration_ms integer[],
    p_message_ids text[], p_status_codes integer[], p_response_excerpts text[])
RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_held bigint[];
BEGIN
    SELECT array_agg(d.id) INTO v_held
      FROM (SELECT id FROM webhook_delivery
             WHERE id = ANY (p_ids) AND status = 'processing' AND locked_by = p_sidecar
             FOR UPDATE SKIP LOCKED) d;
    IF v_held IS NULL THEN
        RETURN;
    END IF;

    INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, message_id,
                                 status_code, response_excerpt, sidecar_id)
    SELECT o.id, d.attempts, o.started_at, o.duration_ms, o.message_id, o.status_code,
           left(o.response_excerpt, 2000), p_sidecar
      FROM unnest(p_ids, p_started_at, p_duration_ms, p_message_ids, p_status_codes, p_response_excerpts)
           AS o(id, started_at, duration_ms, message_id, status_code, response_excerpt)
      JOIN webhook_delivery d ON d.id = o.id
     WHERE o.id = ANY (v_held)
       AND d.id = ANY (v_held)  -- lets the planner use the primary key
     ORDER BY o.id;

    RETURN QUERY
    UPDATE webhook_delivery d
       SET status = 'sent', sent_at = now(), locked_by = NULL, locked_until = NULL,
           last_status_code = o.status_code, last_error_type = NULL, last_error = NULL,
           updated_at = now()
      FROM unnest(p_ids, p_status_codes) AS o(id, status_code)
     WHERE d.id = o.id
       AND d.id = ANY (v_held)
    RETURNING d.id;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        GRANT EXECUTE ON FUNCTION webhook_finish_sent(text, bigint[], timestamptz[], integer[], text[],
                                                      integer[], text[]) TO webhook_sidecar;
    END IF;
END
$$;
