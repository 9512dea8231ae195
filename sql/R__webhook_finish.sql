-- Odoo webhook sidecar, step: finish (the end of an attempt: sent, failed, dead, or given back).
--
-- A delivery in flight ends here. Every function that may change which delivery of a record is
-- open takes the record lock (webhook_lock_record, R__webhook_route.sql) before any row lock,
-- except webhook_finish_sent, which never waits for a lock at all.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- The delivery p_id if sidecar p_sidecar holds it in flight, locked for update (record lock
-- first, then the row), or NULL: its lease ran out and another sidecar took it, or it is gone.
CREATE OR REPLACE FUNCTION webhook_held_delivery(p_id bigint, p_sidecar text)
RETURNS webhook_delivery
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_delivery;
BEGIN
    PERFORM webhook_lock_record(subscriber_id, model, record_id) FROM webhook_delivery WHERE id = p_id;
    SELECT * INTO d FROM webhook_delivery
     WHERE id = p_id AND status = 'processing' AND locked_by = p_sidecar
     FOR UPDATE;
    RETURN d;
END
$$;

-- Folds the open delivery of the same record (a newer one, made while this one was in flight
-- or dead) into delivery p_id, which is about to wait again, so at most one stays open per
-- record and the receiver gets one message with the net effect. Call it BEFORE making p_id
-- pending or failed (the unique index allows one open delivery per record). Changes content,
-- not status. Returns p_id, or NULL if the net effect is nothing (p_id is then deleted).
CREATE OR REPLACE FUNCTION webhook_absorb_newer(p_id bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_delivery;
    n webhook_delivery;
BEGIN
    SELECT * INTO d FROM webhook_delivery WHERE id = p_id FOR UPDATE;
    SELECT * INTO n FROM webhook_delivery
     WHERE subscriber_id = d.subscriber_id AND model = d.model AND record_id = d.record_id
       AND test = d.test AND status IN ('pending', 'failed') AND id <> d.id
     FOR UPDATE;
    IF NOT FOUND THEN
        RETURN p_id;
    END IF;
    DELETE FROM webhook_delivery WHERE id = n.id;
    RETURN webhook_merge_into(d, n.event, n.changed_fields, n.changes, n.coalesced_count,
                              n.last_event_id, n.last_captured_at);
END
$$;

-- Records the end of an attempt made by sidecar p_sidecar and moves the delivery on:
-- success -> sent; failure -> failed with the next attempt scheduled (p_retry_after, from a
-- Retry-After header, wins over the schedule of webhook_retry_delay; both are capped by the
-- subscriber's max_backoff_ms), or dead once max_retries
-- retries have failed or when p_give_up (e.g. 410 Gone). Returns the new status, 'lease_lost'
-- when this sidecar no longer holds the delivery (its lease ran out and another sidecar took it
-- over), or 'deleted' when the delivery is gone (its subscriber was deleted).
CREATE OR REPLACE FUNCTION webhook_finish_attempt(
    p_id bigint, p_sidecar text, p_success boolean,
    p_started_at timestamptz, p_duration_ms integer, p_message_id text,
    p_status_code integer, p_error_type text, p_error_message text, p_response_excerpt text,
    p_retry_after interval DEFAULT NULL, p_give_up boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d        webhook_delivery;
    s        webhook_subscriber;
    v_status text;
BEGIN
    d := webhook_held_delivery(p_id, p_sidecar);
    IF d.id IS NULL THEN
        -- Gone altogether: its subscriber was deleted meanwhile (the rows cascade).
        RETURN CASE WHEN EXISTS (SELECT 1 FROM webhook_delivery WHERE id = p_id)
                    THEN 'lease_lost' ELSE 'deleted' END;
    END IF;
    INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, message_id,
                                 status_code, error_type, error_message, response_excerpt,
                                 sidecar_id)
    VALUES (p_id, d.attempts, p_started_at, p_duration_ms, p_message_id, p_status_code,
            p_error_type, left(p_error_message, 2000), left(p_response_excerpt, 2000), p_sidecar);

    IF p_success THEN
        UPDATE webhook_delivery
           SET status = 'sent', sent_at = now(), locked_by = NULL, locked_until = NULL,
               last_status_code = p_status_code, last_error_type = NULL, last_error = NULL,
               updated_at = now()
         WHERE id = p_id;
        RETURN 'sent';
    END IF;

    SELECT * INTO s FROM webhook_subscriber WHERE id = d.subscriber_id;
    v_status := CASE WHEN p_give_up OR d.attempts > s.max_retries THEN 'dead' ELSE 'failed' END;
    IF v_status = 'failed' THEN
        PERFORM webhook_absorb_newer(p_id);  -- attempted, so never cancelled out
    END IF;
    UPDATE webhook_delivery
       SET status = v_status, locked_by = NULL, locked_until = NULL,
           next_attempt_at = now() + least(coalesce(p_retry_after, webhook_retry_delay(s, d.attempts)),
                                           webhook_max_retry_delay(s)),
           last_status_code = p_status_code, last_error_type = p_error_type,
           last_error = left(p_error_message, 2000), updated_at = now()
     WHERE id = p_id;
    RETURN v_status;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Successful attempts recorded many at a time.
--
-- webhook_finish_attempt records one attempt per transaction: while a backlog drains, that was
-- the largest single cost of PostgreSQL and of the sidecar's own round trips (0.23 ms per
-- delivery, one commit each). Most outcomes are successes, and a success changes nothing but
-- its own row: it does not change which delivery of the record is open (no merging, unlike a
-- failure), so it needs neither the record lock nor another row.
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
-- ---------------------------------------------------------------------------------------------
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

-- Gives a claimed delivery back without counting an attempt (the sidecar is shutting down, or
-- a subscriber's circuit breaker or rate limit refused the call): it is due again at p_not_before.
CREATE OR REPLACE FUNCTION webhook_release_delivery(p_id bigint, p_sidecar text,
                                                    p_not_before timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_delivery;
BEGIN
    d := webhook_held_delivery(p_id, p_sidecar);
    IF d.id IS NULL THEN
        RETURN 'lease_lost';
    END IF;
    UPDATE webhook_delivery SET attempts = d.attempts - 1 WHERE id = p_id;
    IF webhook_absorb_newer(p_id) IS NULL THEN
        RETURN 'merged';
    END IF;
    UPDATE webhook_delivery
       SET status = CASE WHEN d.attempts > 1 THEN 'failed' ELSE 'pending' END,
           locked_by = NULL, locked_until = NULL, next_attempt_at = p_not_before, updated_at = now()
     WHERE id = p_id;
    RETURN 'released';
END
$$;
