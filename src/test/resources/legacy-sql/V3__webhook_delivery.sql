-- Odoo webhook sidecar: routing, coalescing and the delivery life cycle, as SQL functions.
--
-- The rules live here, once, so the sidecar, the Odoo addon and a DBA at psql all move
-- deliveries the same way. Statuses: pending -> processing -> sent | failed -> ... -> dead.

-- ---------------------------------------------------------------------------------------------
-- Net effect of two events on one record, the older not yet delivered.
-- Returns NULL when nothing is left to say: a create never announced, then an unlink.
-- p_older_announced: the older one may have reached the receiver (it was attempted).
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION webhook_net_event(p_older text, p_newer text, p_older_announced boolean)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_newer = 'unlink' THEN
            CASE WHEN p_older = 'create' AND NOT p_older_announced THEN NULL ELSE 'unlink' END
        WHEN p_older = 'create' THEN 'create'   -- create + write: still a create
        WHEN p_older = 'unlink' THEN 'create'   -- the id came back: a new record to the receiver
        ELSE 'write'                             -- write + write
    END
$$;

-- Changed fields after merging: the union for write + write; NULL (the whole record) otherwise
-- or when either side does not know which fields changed.
CREATE OR REPLACE FUNCTION webhook_net_fields(p_net_event text, p_older text, p_older_fields text[],
                                              p_newer text, p_newer_fields text[])
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_net_event = 'write' AND p_older = 'write' AND p_newer = 'write'
             AND p_older_fields IS NOT NULL AND p_newer_fields IS NOT NULL
        THEN ARRAY(SELECT DISTINCT f FROM unnest(p_older_fields || p_newer_fields) f ORDER BY f)
        ELSE NULL
    END
$$;

-- ---------------------------------------------------------------------------------------------
-- Routing: committed events -> deliveries.
-- ---------------------------------------------------------------------------------------------

-- Whether a subscriber wants an event.
CREATE OR REPLACE FUNCTION webhook_subscriber_wants(s webhook_subscriber, p_model text, p_event text,
                                                    p_changed_fields text[])
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT s.active
       AND (s.models IS NULL OR p_model = ANY (s.models))
       AND p_event = ANY (s.events)
       AND (p_event <> 'write' OR s.changed_fields_filter IS NULL OR p_changed_fields IS NULL
            OR p_changed_fields && s.changed_fields_filter)
$$;

-- Serialises, per (subscriber, model, record), the single-delivery functions that change which
-- delivery of a record is open (finish, release, lease recovery, replay) with each other. The
-- router does not take it (see webhook_merge_event: it locks the record's unsent rows instead,
-- which those functions lock too). Taken before any row lock, held to the end of the transaction.
CREATE OR REPLACE FUNCTION webhook_lock_record(p_subscriber_id bigint, p_model text, p_record_id bigint)
RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended(p_subscriber_id || '/' || p_model || '/' || p_record_id, 0))
$$;

-- The same, without waiting; false if another transaction holds it.
CREATE OR REPLACE FUNCTION webhook_try_lock_record(p_subscriber_id bigint, p_model text, p_record_id bigint)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT pg_try_advisory_xact_lock(hashtextextended(p_subscriber_id || '/' || p_model || '/' || p_record_id, 0))
$$;

-- Merges one event into the open (not yet in flight) delivery of its record for one subscriber,
-- or opens a new delivery. Returns the delivery id, or NULL when the net effect is nothing.
CREATE OR REPLACE FUNCTION webhook_merge_event(p_subscriber_id bigint, e webhook_event)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r     webhook_delivery;
    d     webhook_delivery;
    v_net text;
BEGIN
    -- Lock every unsent delivery of the record, the one in flight and dead ones included: the
    -- dispatcher turning the one in flight back to failed, or a replay of a dead one, must wait
    -- for this transaction (or it for them) so that one delivery stays open per record. Row
    -- locks, not advisory locks: a batch touches hundreds of records, and advisory locks would
    -- fill PostgreSQL's shared lock table, which Odoo needs too.
    FOR r IN SELECT * FROM webhook_delivery
              WHERE subscriber_id = p_subscriber_id AND model = e.model AND record_id = e.record_id
                AND status IN ('pending', 'failed', 'processing', 'dead')
              ORDER BY id
              FOR UPDATE LOOP
        IF r.status IN ('pending', 'failed') THEN
            d := r;
        END IF;
    END LOOP;
    IF d.id IS NULL THEN
        INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, changed_fields,
                                      first_event_id, last_event_id,
                                      first_captured_at, last_captured_at)
        VALUES (p_subscriber_id, e.model, e.record_id, e.event, e.changed_fields,
                e.id, e.id, e.captured_at, e.captured_at)
        RETURNING id INTO d.id;
        RETURN d.id;
    END IF;

    v_net := webhook_net_event(d.event, e.event, d.attempts > 0);
    IF v_net IS NULL THEN
        DELETE FROM webhook_delivery WHERE id = d.id;
        RETURN NULL;
    END IF;
    UPDATE webhook_delivery
       SET event = v_net,
           changed_fields = webhook_net_fields(v_net, d.event, d.changed_fields, e.event, e.changed_fields),
           coalesced_count = d.coalesced_count + 1,
           last_event_id = e.id,
           last_captured_at = e.captured_at,
           -- Attempted content may have reached the receiver: new content, new webhook-id.
           content_version = d.content_version + CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END,
           updated_at = now()
     WHERE id = d.id;
    RETURN d.id;
END
$$;

-- Routes up to p_limit committed events, oldest first, and returns how many it routed.
-- Only one router works at a time (a transaction-level advisory lock), so events of one record
-- are merged in id order, which is their commit order. Returns -1 when another router is busy.
CREATE OR REPLACE FUNCTION webhook_route_events(p_limit integer DEFAULT 500)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    e        webhook_event;
    s        webhook_subscriber;
    v_routed integer := 0;
    v_made   integer;
BEGIN
    -- 33610362934096997 is 'whroute' in ASCII.
    IF NOT pg_try_advisory_xact_lock(33610362934096997) THEN
        RETURN -1;
    END IF;
    FOR e IN SELECT * FROM webhook_event WHERE routed_at IS NULL ORDER BY id LIMIT p_limit LOOP
        v_made := 0;
        FOR s IN SELECT * FROM webhook_subscriber ORDER BY id LOOP
            IF webhook_subscriber_wants(s, e.model, e.event, e.changed_fields) THEN
                PERFORM webhook_merge_event(s.id, e);
                v_made := v_made + 1;
            END IF;
        END LOOP;
        -- delivery_count 0 keeps an event no subscriber wanted, for a later replay.
        UPDATE webhook_event SET routed_at = now(), delivery_count = v_made WHERE id = e.id;
        v_routed := v_routed + 1;
    END LOOP;
    RETURN v_routed;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The delivery life cycle.
-- ---------------------------------------------------------------------------------------------

-- Claims up to p_limit due deliveries for one sidecar: status processing, a lease until
-- now() + p_lease, one more attempt counted. p_subscribers are the subscribers this sidecar may
-- call now and p_slots how many more requests each may take (its max_concurrency less what is
-- in flight), so one busy or slow subscriber never takes every worker. Several sidecars may
-- claim at once (SKIP LOCKED); a record whose delivery is already in flight is skipped, so per
-- record one is in flight.
CREATE OR REPLACE FUNCTION webhook_claim_deliveries(p_sidecar text, p_limit integer, p_lease interval,
                                                    p_subscribers bigint[], p_slots integer[])
RETURNS SETOF webhook_delivery
LANGUAGE sql AS $$
    WITH slots AS (
        SELECT * FROM unnest(p_subscribers, p_slots) AS s(subscriber_id, free)),
    due AS (
        SELECT picked.id
          FROM slots
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
         LIMIT p_limit)
    UPDATE webhook_delivery d
       SET status = 'processing', locked_by = p_sidecar, locked_until = now() + p_lease,
           attempts = d.attempts + 1, last_attempt_at = now(), updated_at = now()
      FROM due
     WHERE d.id = due.id
    RETURNING d.*
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
    d     webhook_delivery;
    n     webhook_delivery;
    v_net text;
BEGIN
    SELECT * INTO d FROM webhook_delivery WHERE id = p_id FOR UPDATE;
    SELECT * INTO n FROM webhook_delivery
     WHERE subscriber_id = d.subscriber_id AND model = d.model AND record_id = d.record_id
       AND status IN ('pending', 'failed') AND id <> d.id
     FOR UPDATE;
    IF NOT FOUND THEN
        RETURN p_id;
    END IF;
    v_net := webhook_net_event(d.event, n.event, d.attempts > 0);
    DELETE FROM webhook_delivery WHERE id = n.id;
    IF v_net IS NULL THEN
        DELETE FROM webhook_delivery WHERE id = d.id;
        RETURN NULL;
    END IF;
    UPDATE webhook_delivery
       SET event = v_net,
           changed_fields = webhook_net_fields(v_net, d.event, d.changed_fields, n.event, n.changed_fields),
           coalesced_count = d.coalesced_count + n.coalesced_count,
           last_event_id = n.last_event_id,
           last_captured_at = n.last_captured_at,
           content_version = d.content_version + CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END
     WHERE id = d.id;
    RETURN d.id;
END
$$;

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

-- The delay before retry number p_retry (1-based) of a subscriber: base * factor^(n-1), with
-- +-20% jitter so many deliveries failing together do not retry together.
CREATE OR REPLACE FUNCTION webhook_retry_delay(s webhook_subscriber, p_retry integer)
RETURNS interval
LANGUAGE sql VOLATILE AS $$
    SELECT make_interval(secs => s.backoff_base_ms / 1000.0
                                 * power(s.backoff_factor, greatest(p_retry - 1, 0))
                                 * (0.8 + random() * 0.4))
$$;

-- Records the end of an attempt made by sidecar p_sidecar and moves the delivery on:
-- success -> sent; failure -> failed with the next attempt scheduled (p_retry_after, from a
-- Retry-After header, wins over the schedule), or dead once max_retries retries have failed or
-- when p_give_up (e.g. 410 Gone). Returns the new status, 'lease_lost' when this sidecar no
-- longer holds the delivery (its lease ran out and another sidecar took it over), or 'deleted'
-- when the delivery is gone (its subscriber was deleted).
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
           next_attempt_at = now() + coalesce(p_retry_after, webhook_retry_delay(s, d.attempts)),
           last_status_code = p_status_code, last_error_type = p_error_type,
           last_error = left(p_error_message, 2000), updated_at = now()
     WHERE id = p_id;
    RETURN v_status;
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

-- Manual replay of one delivery (dead, failed or sent): back to pending, due now, attempts
-- reset, newer open news of the record folded in. Returns the new status, 'pending'.
CREATE OR REPLACE FUNCTION webhook_replay_delivery(p_delivery_id bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_delivery;
BEGIN
    PERFORM webhook_lock_record(subscriber_id, model, record_id) FROM webhook_delivery WHERE id = p_delivery_id;
    SELECT * INTO d FROM webhook_delivery WHERE id = p_delivery_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Delivery % does not exist. List deliveries with: SELECT id, status FROM webhook_delivery ORDER BY id DESC LIMIT 20;',
            p_delivery_id USING ERRCODE = 'no_data_found';
    END IF;
    IF d.status = 'processing' THEN
        RAISE EXCEPTION 'Delivery % is being sent right now; replay it once it is sent, failed or dead.',
            p_delivery_id USING ERRCODE = 'object_in_use';
    END IF;
    IF d.status = 'pending' THEN
        RETURN 'pending';
    END IF;
    PERFORM webhook_absorb_newer(p_delivery_id);  -- attempted, so never cancelled out
    -- A replayed delivery was attempted before: new webhook-id, so an idempotent receiver
    -- that saw the old one does not drop it.
    UPDATE webhook_delivery
       SET status = 'pending', attempts = 0, next_attempt_at = now(), sent_at = NULL,
           content_version = content_version + 1, updated_at = now()
     WHERE id = p_delivery_id;
    RETURN 'pending';
END
$$;

-- A test delivery to one subscriber, to check its URL and secret from the addon or the CLI.
CREATE OR REPLACE FUNCTION webhook_send_test_event(p_subscriber_id bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    e webhook_event;
    v_delivery bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriber WHERE id = p_subscriber_id) THEN
        RAISE EXCEPTION 'Subscriber % does not exist.', p_subscriber_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO webhook_event (model, record_id, event, changed_fields, routed_at, delivery_count)
    VALUES ('webhook.test', 0, 'write', ARRAY['test'], now(), 1)
    RETURNING * INTO e;
    INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, changed_fields,
                                  first_event_id, last_event_id, first_captured_at, last_captured_at)
    VALUES (p_subscriber_id, e.model, e.id, e.event, e.changed_fields, e.id, e.id,
            e.captured_at, e.captured_at)
    RETURNING id INTO v_delivery;
    RETURN v_delivery;
END
$$;
