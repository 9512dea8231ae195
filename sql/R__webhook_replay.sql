-- Odoo webhook sidecar, step: replay (manual re-sends and test events).
--
-- Called from the CLI (replay), the Odoo addon's Requeue button, or psql.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- The delivery, locked, after its record's lock: the order that replay, cancel, finish and lease
-- recovery all take, so that two of them on one delivery run one after the other. A delivery
-- that does not exist is an error (no_data_found) ending with p_hint, what to do instead.
CREATE OR REPLACE FUNCTION webhook_lock_delivery(p_delivery_id bigint, p_hint text)
RETURNS webhook_delivery
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_delivery;
BEGIN
    PERFORM webhook_lock_record(subscriber_id, model, record_id) FROM webhook_delivery WHERE id = p_delivery_id;
    SELECT * INTO d FROM webhook_delivery WHERE id = p_delivery_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Delivery % does not exist%', p_delivery_id, p_hint USING ERRCODE = 'no_data_found';
    END IF;
    RETURN d;
END
$$;

-- Manual replay of one delivery (dead, cancelled, failed or sent): back to pending, due now,
-- attempts reset, newer open news of the record folded in. Returns the new status, 'pending'.
CREATE OR REPLACE FUNCTION webhook_replay_delivery(p_delivery_id bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_delivery;
BEGIN
    d := webhook_lock_delivery(p_delivery_id,
        '. List deliveries with: SELECT id, status FROM webhook_delivery ORDER BY id DESC LIMIT 20;');
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
           cancelled_at = NULL, cancelled_by = NULL,
           content_version = content_version + 1, updated_at = now()
     WHERE id = p_delivery_id;
    RETURN 'pending';
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Cancelling dead deliveries: "keep it, stop showing it as a problem".
--
-- Only a dead delivery can be cancelled: one that is still waiting or in flight would otherwise
-- be dropped silently, and a sent one needs nothing. A cancelled delivery is kept with its
-- attempts; counts of problems (status, /metrics' dead series, the addon's Dead) no longer
-- include it; retention purges it like a dead one (webhook_purge_dead), RETENTION_DEAD after
-- its cancellation; a replay makes it pending again, like a dead one.
--
-- Per-record order: a dead delivery never holds back newer news of its record (the router
-- opens a new delivery beside it, and a replay folds that one in); a cancelled one behaves the
-- same, and the router locks it like a dead one so that a replay of it and the router take
-- turns (R__webhook_route.sql).
--
-- p_by says who cancelled (an Odoo login); NULL records the database user (CLI, psql).
--
-- Both functions below cancel through webhook_mark_cancelled, so what a cancel writes is written
-- once. Locks: webhook_cancel_delivery takes the record lock, then the row's (as replay, finish
-- and lease recovery do, R__webhook_finish.sql); webhook_cancel_dead_deliveries takes no record
-- lock and never waits: it locks the rows it can get at once (SKIP LOCKED), like
-- webhook_finish_sent, so it cannot be part of a deadlock, and a subscriber's thousands of dead
-- deliveries do not take thousands of advisory locks (PostgreSQL's shared lock table is small).
-- ---------------------------------------------------------------------------------------------

-- The cancel itself, on deliveries the caller has locked (FOR UPDATE): those of p_ids that are
-- dead become cancelled, by p_by. Returns how many. Call webhook_cancel_delivery or
-- webhook_cancel_dead_deliveries instead: they take the locks.
CREATE OR REPLACE FUNCTION webhook_mark_cancelled(p_ids bigint[], p_by text)
RETURNS integer
LANGUAGE sql AS $$
    WITH cancelled AS (
        UPDATE webhook_delivery
           SET status = 'cancelled', cancelled_at = now(),
               cancelled_by = coalesce(nullif(p_by, ''), session_user::text), updated_at = now()
         WHERE id = ANY (p_ids) AND status = 'dead'
        RETURNING 1)
    SELECT count(*)::integer FROM cancelled
$$;

-- Cancels one dead delivery. Anything else is refused with SQLSTATE 22023 and nothing changes.
-- Returns the new status, 'cancelled' (also when it was cancelled already).
CREATE OR REPLACE FUNCTION webhook_cancel_delivery(p_delivery_id bigint, p_by text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_delivery;
BEGIN
    -- A replay of this delivery running at the same time ends first, and this one then sees
    -- it pending and refuses.
    d := webhook_lock_delivery(p_delivery_id, ' (retention may have purged it).');
    IF d.status = 'cancelled' THEN
        RETURN 'cancelled';
    END IF;
    IF d.status <> 'dead' THEN
        RAISE EXCEPTION 'Delivery % is %, not dead: only dead deliveries can be cancelled.%', p_delivery_id, d.status,
            CASE d.status
                WHEN 'sent' THEN ' It was delivered; nothing needs doing.'
                ELSE ' It will still be sent; pause or remove its subscriber to stop sending.'
            END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM webhook_mark_cancelled(ARRAY[p_delivery_id], p_by);
    RETURN 'cancelled';
END
$$;

-- Cancels every dead delivery of one subscriber; returns how many. Dead rows another
-- transaction holds (a replay under way) are skipped, not waited for: they are being handled.
CREATE OR REPLACE FUNCTION webhook_cancel_dead_deliveries(p_subscriber_id bigint, p_by text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriber WHERE id = p_subscriber_id) THEN
        RAISE EXCEPTION 'Subscriber % does not exist.',
            p_subscriber_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN webhook_mark_cancelled(ARRAY(
        SELECT id FROM webhook_delivery
         WHERE subscriber_id = p_subscriber_id AND status = 'dead'
         ORDER BY id
           FOR UPDATE SKIP LOCKED), p_by);
END
$$;

-- Test deliveries. A receiver tells them by data.test = true in the body (Payload.java and
-- webhook_delivery_body render it). In the table, test = true marks them (V21); the model is the
-- real one, or 'webhook.test' for the fixed test event of webhook_send_test_event(subscriber).
-- A test is never the open delivery of a real record: test is part of every per-record index
-- key, and the router, the claim and webhook_absorb_newer match it, so the router never merges
-- news into a test, a test never holds back a real delivery of its record (one in flight per
-- subscriber, model, record and test), the orphan cleanup skips tests, and the pull API never
-- lists them (no webhook_event row is made for a test of a real record).
-- Until V21 the mark was in the model column, read by these two functions:
DROP FUNCTION IF EXISTS webhook_is_test_model(text);
DROP FUNCTION IF EXISTS webhook_body_model(text);

-- A test delivery to one subscriber, to check its URL and secret from the addon or the CLI: the
-- fixed test event (model webhook.test, no field values), whatever the subscriber's payload.
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
                                  first_event_id, last_event_id, first_captured_at, last_captured_at,
                                  test)
    VALUES (p_subscriber_id, e.model, e.id, e.event, e.changed_fields, e.id, e.id,
            e.captured_at, e.captured_at, true)
    RETURNING id INTO v_delivery;
    RETURN v_delivery;
END
$$;

-- A test delivery to one subscriber with the body it would get for record p_record_id of
-- p_model, one of the models it receives: shaped like the record's creation, as the addon's
-- Preview shows it (webhook_preview_body). Payload ids: the ids body; changes: the record's
-- captured values now, as "new" ("old" is null, as in a create); record: the record read when
-- it is sent, as for any delivery. first_event_id and last_event_id are 0: no event is behind a
-- test. Only this subscriber gets it, marked as a test (data.test = true), and it never touches
-- the record's real deliveries (see test deliveries above). While an earlier test of the same
-- record to this subscriber still waits, that one is sent again now, with the values of now.
-- Refuses (22023) an unknown subscriber, a model it does not receive, a record that does not
-- exist. Returns the delivery id.
CREATE OR REPLACE FUNCTION webhook_send_test_event(p_subscriber_id bigint, p_model text, p_record_id bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    s          webhook_subscriber;
    v_values   jsonb;
    v_changes  jsonb;
    v_delivery bigint;
BEGIN
    SELECT * INTO s FROM webhook_subscriber WHERE id = p_subscriber_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Subscriber % does not exist.', p_subscriber_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_model IS NULL OR p_record_id IS NULL THEN
        RAISE EXCEPTION 'Name the model and the id of a record to send as a test to subscriber "%", e.g. res.partner and 1.',
            s.name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF s.models IS NOT NULL AND NOT p_model = ANY (s.models) THEN
        RAISE EXCEPTION 'Subscriber "%" does not receive %: choose a record of %.',
            s.name, p_model, array_to_string(s.models, ', ') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM webhook_tracked_model WHERE model = p_model) THEN
        RAISE EXCEPTION 'Subscriber "%" does not receive %: it is not tracked. Track it first, or choose a record of a tracked model.',
            s.name, p_model USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT r.record INTO v_values FROM webhook_read_records(p_model, NULL, ARRAY[p_record_id]) r;
    IF v_values IS NULL THEN
        RAISE EXCEPTION 'Record % of % does not exist: choose an existing record.', p_record_id, p_model
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_changes := webhook_event_changes('create', NULL, v_values);

    PERFORM webhook_lock_record(p_subscriber_id, p_model, p_record_id);
    UPDATE webhook_delivery
       SET status = 'pending', attempts = 0, next_attempt_at = now(), changes = v_changes,
           -- Attempted content may have reached the receiver: a new webhook-id for the new test.
           content_version = content_version + CASE WHEN attempts > 0 THEN 1 ELSE 0 END,
           last_captured_at = now(), updated_at = now()
     WHERE subscriber_id = p_subscriber_id AND model = p_model AND record_id = p_record_id AND test
       AND status IN ('pending', 'failed')
    RETURNING id INTO v_delivery;
    IF v_delivery IS NOT NULL THEN
        RETURN v_delivery;
    END IF;
    INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, changed_fields,
                                  first_event_id, last_event_id, first_captured_at, last_captured_at,
                                  changes, test)
    VALUES (p_subscriber_id, p_model, p_record_id, 'create', NULL, 0, 0, now(), now(), v_changes, true)
    RETURNING id INTO v_delivery;
    RETURN v_delivery;
END
$$;
