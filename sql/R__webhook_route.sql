-- Odoo webhook sidecar, step: route (committed events -> deliveries, with net-effect coalescing).
--
-- The rules live in SQL, once, so the sidecar, the Odoo addon and a DBA at psql all move
-- deliveries the same way. Statuses: pending -> processing -> sent | failed -> ... -> dead.
-- One router at a time (an advisory lock) routes the unrouted events in id order: per record
-- that is commit order, and its routed_seq numbers are the pull API's cursor.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

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

-- The values a subscriber's domain is judged on: the event's (p_values: the new values, or the
-- last ones for an unlink), and for a field the domain names that the event does not carry, the
-- record's value now. Only events captured before that domain, or that field's capture, was
-- saved lack one (a write records the fields the domains name, webhook_generate_capture_function):
-- judged on what they carry alone, a missing field would drop them in silence, or let a "!="
-- match by accident. A record that is gone, or cannot be read, leaves the event's values.
CREATE OR REPLACE FUNCTION webhook_domain_values(p_domain_fields text[], p_model text,
                                                 p_record_id bigint, p_values jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now jsonb;
BEGIN
    IF p_domain_fields IS NULL OR p_values ?& p_domain_fields THEN
        RETURN p_values;
    END IF;
    BEGIN
        SELECT r.record INTO v_now
          FROM webhook_read_records(p_model, p_domain_fields, ARRAY[p_record_id]) r;
    EXCEPTION WHEN OTHERS THEN
        -- A field since dropped from the table, say: routing must go on for every other event.
        RETURN p_values;
    END;
    RETURN coalesce(v_now, '{}') || coalesce(p_values, '{}');
END
$$;

-- Whether a subscriber wants an event: its models, events, "only when these fields change"
-- filter, and its domain (sql/R__webhook_domain.sql) tested against the event's captured values
-- (webhook_domain_values). An event it does not want neither reaches it nor merges into its
-- open delivery.
DROP FUNCTION IF EXISTS webhook_subscriber_wants(webhook_subscriber, text, text, text[]);
DROP FUNCTION IF EXISTS webhook_subscriber_wants(webhook_subscriber, text, text, text[], jsonb);
CREATE OR REPLACE FUNCTION webhook_subscriber_wants(s webhook_subscriber, p_model text, p_record_id bigint,
                                                    p_event text, p_changed_fields text[], p_values jsonb)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT s.active
       AND (s.models IS NULL OR p_model = ANY (s.models))
       AND p_event = ANY (s.events)
       AND (p_event <> 'write' OR s.changed_fields_filter IS NULL OR p_changed_fields IS NULL
            OR p_changed_fields && s.changed_fields_filter)
       AND (s.domain_path IS NULL
            -- webhook_domain_values makes the same ?& test first; it is repeated here because
            -- this runs for every event and subscriber, and nearly every event passes it.
            OR coalesce(jsonb_path_match(
                   CASE WHEN p_values ?& s.domain_fields THEN p_values
                        ELSE webhook_domain_values(s.domain_fields, p_model, p_record_id, p_values) END,
                   s.domain_path, '{}', true), false))
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

-- Merges newer news of a record into its unsent delivery d (locked by the caller): the net
-- event, fields and changes, the count of merged events, the newest event's id and capture time,
-- and a new content version if d was attempted. Returns d's id, or NULL when the net effect is
-- nothing (d is then deleted). Both the router (one event) and webhook_absorb_newer (a newer
-- delivery, R__webhook_finish.sql) merge through here, so the rule is written once.
CREATE OR REPLACE FUNCTION webhook_merge_into(d webhook_delivery, p_event text, p_changed_fields text[],
                                              p_changes jsonb, p_count integer,
                                              p_last_event_id bigint, p_last_captured_at timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_net text := webhook_net_event(d.event, p_event, d.attempts > 0);
BEGIN
    IF v_net IS NULL THEN
        DELETE FROM webhook_delivery WHERE id = d.id;
        RETURN NULL;
    END IF;
    UPDATE webhook_delivery
       SET event = v_net,
           changed_fields = webhook_net_fields(v_net, d.event, d.changed_fields, p_event, p_changed_fields),
           changes = webhook_net_changes(d.changes, p_changes),
           coalesced_count = d.coalesced_count + p_count,
           last_event_id = p_last_event_id,
           last_captured_at = p_last_captured_at,
           -- Attempted content may have reached the receiver: new content, new webhook-id.
           content_version = d.content_version + CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END,
           updated_at = now()
     WHERE id = d.id;
    RETURN d.id;
END
$$;

-- Merges one event into the open (not yet in flight) delivery of its record for one subscriber,
-- or opens a new delivery. Returns the delivery id, or NULL when the net effect is nothing.
CREATE OR REPLACE FUNCTION webhook_merge_event(p_subscriber_id bigint, e webhook_event)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r webhook_delivery;
    d webhook_delivery;
BEGIN
    -- Lock every unsent delivery of the record, the one in flight and dead (or cancelled) ones
    -- included: the dispatcher turning the one in flight back to failed, or a replay of a dead or
    -- cancelled one, must wait for this transaction (or it for them) so that one delivery stays
    -- open per record. Row
    -- locks, not advisory locks: a batch touches hundreds of records, and advisory locks would
    -- fill PostgreSQL's shared lock table, which Odoo needs too.
    FOR r IN SELECT * FROM webhook_delivery
              WHERE subscriber_id = p_subscriber_id AND model = e.model AND record_id = e.record_id
                AND NOT test  -- a test is never the open delivery of a real record
                AND status IN ('pending', 'failed', 'processing', 'dead', 'cancelled')
              ORDER BY id
              FOR UPDATE LOOP
        IF r.status IN ('pending', 'failed') THEN
            d := r;
        END IF;
    END LOOP;
    IF d.id IS NULL THEN
        INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, changed_fields,
                                      first_event_id, last_event_id,
                                      first_captured_at, last_captured_at, changes)
        VALUES (p_subscriber_id, e.model, e.record_id, e.event, e.changed_fields,
                e.id, e.id, e.captured_at, e.captured_at,
                webhook_event_changes(e.event, e.old_values, e.new_values))
        RETURNING id INTO d.id;
        RETURN d.id;
    END IF;

    RETURN webhook_merge_into(d, e.event, e.changed_fields,
                              webhook_event_changes(e.event, e.old_values, e.new_values),
                              1, e.id, e.captured_at);
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Routes up to p_limit committed events, oldest first, and returns how many it routed, or -1
-- when another router holds the routing lock.
--
-- Set-based for the common case. Routing one event at a time (for each event and subscriber a
-- webhook_merge_event call, then an UPDATE of the event: four to five statements per event) was
-- measured as the largest share of PostgreSQL's CPU while events arrive steadily. Most events
-- need none of that care: their record has no other news in the batch and no unsent delivery
-- for the subscriber, so routing them only inserts a new delivery. Those are inserted with one
-- statement, and all events of the batch are numbered and marked with another. Only events
-- whose record does have other news or an unsent delivery go through webhook_merge_event, in
-- event order, then subscriber order. Batches of fewer than 8 events go entirely the per-event
-- way.
--
-- Why this is safe:
-- * one router at a time (the advisory lock, held to the end of the transaction), so the
--   routed_seq numbers of a batch are all higher than the previous batch's, which is committed
--   and visible before the next one can take the lock: routed_seq order is commit order;
-- * the events of one record merge in id order: every pair of a record with more than one
--   event in the batch, or with an unsent delivery, goes the per-event way, in id order;
-- * the two paths never touch the same (subscriber, record), so running the simple inserts
--   first gives the same deliveries as the per-event way; only the ids of deliveries of
--   different records may come in another order, and no order across records is promised.
--
-- Race with the dispatcher: a simple record has no pending, failed, in-flight, dead or cancelled
-- delivery, so no other function can be changing one; a manual replay of a sent delivery racing
-- the router ends with the unique index letting one open delivery through, and the other
-- transaction fails and is retried.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION webhook_route_events(p_limit integer DEFAULT 500)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids         bigint[];
    v_routed      integer;
    v_first_seq   bigint;
    v_merge_event bigint[];
    v_merge_sub   bigint[];
    v_counts      integer[];
    v_made        integer;
    e             webhook_event;
    sub           webhook_subscriber;
BEGIN
    -- 33610362934096997 is 'whroute' in ASCII. Held to the end of the transaction: this is
    -- also what makes routed_seq order commit order.
    IF NOT pg_try_advisory_xact_lock(33610362934096997) THEN
        RETURN -1;
    END IF;
    SELECT array_agg(id ORDER BY id) INTO v_ids
      FROM (SELECT id FROM webhook_event WHERE routed_at IS NULL ORDER BY id LIMIT p_limit) batch;
    v_routed := coalesce(cardinality(v_ids), 0);
    IF v_routed = 0 THEN
        RETURN 0;
    END IF;
    -- The router's transaction commits without waiting for its WAL to reach the disk: a flush
    -- per pass (about one pass per Odoo commit under a trickle) queues with the flushes of Odoo's
    -- own commits (bench/results/2026-12-07-waiting, section 6). A crash can only lose a routing
    -- that was never flushed: its events are then unrouted again and routed anew. Nothing it made
    -- has left the database by then: a claim commits synchronously, which flushes every commit
    -- before it (so a delivery is never sent on a routing that could vanish), and the pull API
    -- waits for the flush before it answers (PullServer). Only the router calls this function,
    -- each time in a transaction of its own: the setting ends with that transaction.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- A trickle (a few events per call) goes the per-event way: the set statements cost about
    -- 0.6 ms more per call than they save there, which showed in commit-to-delivery latency.
    IF v_routed < 8 THEN
        FOR e IN SELECT * FROM webhook_event WHERE id = ANY (v_ids) ORDER BY id LOOP
            v_made := 0;
            FOR sub IN SELECT * FROM webhook_subscriber ORDER BY id LOOP
                IF webhook_subscriber_wants(sub, e.model, e.record_id, e.event, e.changed_fields,
                                            coalesce(e.new_values, e.old_values)) THEN
                    PERFORM webhook_merge_event(sub.id, e);
                    v_made := v_made + 1;
                END IF;
            END LOOP;
            UPDATE webhook_event
               SET routed_at = now(), delivery_count = v_made,
                   routed_seq = nextval('webhook_event_routed_seq')
             WHERE id = e.id;
        END LOOP;
        RETURN v_routed;
    END IF;

    -- Every (event, subscriber that wants it) pair. A pair is simple when its record has no
    -- other news for that subscriber in this batch and no unsent delivery: one INSERT makes all
    -- of those. The others are returned, in order, for the per-event path.
    WITH pair AS (
        SELECT ev.*, s.id AS subscriber_id,
               count(*) OVER (PARTITION BY s.id, ev.model, ev.record_id) AS news
          FROM webhook_event ev
          JOIN webhook_subscriber s ON webhook_subscriber_wants(s, ev.model, ev.record_id, ev.event, ev.changed_fields,
                                                  coalesce(ev.new_values, ev.old_values))
         WHERE ev.id = ANY (v_ids)
    ), sorted AS (
        SELECT p.*,
               p.news = 1 AND NOT EXISTS (
                   SELECT 1 FROM webhook_delivery d
                    WHERE d.subscriber_id = p.subscriber_id AND d.model = p.model
                      AND d.record_id = p.record_id AND NOT d.test
                      AND d.status IN ('pending', 'failed', 'processing', 'dead', 'cancelled')) AS simple
          FROM pair p
    ), made AS (
        INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, changed_fields,
                                      first_event_id, last_event_id,
                                      first_captured_at, last_captured_at, changes)
        SELECT subscriber_id, model, record_id, event, changed_fields,
               id, id, captured_at, captured_at,
               webhook_event_changes(event, old_values, new_values)
          FROM sorted
         WHERE simple
         ORDER BY id, subscriber_id
    )
    SELECT merge.events, merge.subscribers, made_of.counts
      INTO v_merge_event, v_merge_sub, v_counts
      FROM (SELECT array_agg(id ORDER BY id, subscriber_id) AS events,
                   array_agg(subscriber_id ORDER BY id, subscriber_id) AS subscribers
              FROM sorted
             WHERE NOT simple) merge,
           -- How many deliveries each event of v_ids makes (0: no subscriber wants it), in
           -- v_ids order: its pairs, counted here rather than by asking every subscriber again.
           (SELECT array_agg(coalesce(per_event.pairs, 0) ORDER BY b.ord) AS counts
              FROM unnest(v_ids) WITH ORDINALITY AS b(id, ord)
              LEFT JOIN (SELECT id, count(*)::integer AS pairs FROM pair GROUP BY id) per_event
                     ON per_event.id = b.id) made_of;

    FOR i IN 1 .. coalesce(cardinality(v_merge_event), 0) LOOP
        SELECT * INTO e FROM webhook_event WHERE id = v_merge_event[i];
        PERFORM webhook_merge_event(v_merge_sub[i], e);
    END LOOP;

    -- Number the batch in id order from one block of the sequence: only this router, under
    -- its lock, takes numbers from it.
    v_first_seq := nextval('webhook_event_routed_seq');
    IF v_routed > 1 THEN
        PERFORM setval('webhook_event_routed_seq', v_first_seq + v_routed - 1);
    END IF;
    -- delivery_count 0 keeps an event no subscriber wanted, for a later replay (and apps).
    UPDATE webhook_event ev
       SET routed_at = now(),
           delivery_count = b.made,
           routed_seq = v_first_seq + b.ord - 1
      FROM unnest(v_ids, v_counts) WITH ORDINALITY AS b(id, made, ord)
     WHERE ev.id = b.id
       AND ev.id = ANY (v_ids);  -- lets the planner use the primary key, not hash the table
    RETURN v_routed;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The router's loop in one round trip.
--
-- Under a steady trickle of writes (Odoo users saving records) the router would otherwise make
-- about five calls per wake-up: leave the waiting state, route, route again to find nothing,
-- try to wait, read the table once more (measured at 400 single-row writes/s with no
-- subscriber: 29% of a core for the sidecar). This function does the same steps, in the same
-- order (the handshake of R__webhook_wakeup.sql), in one call on the LISTEN connection, which
-- holds the waiting lock.
--
-- p_release: the caller holds the waiting lock (a NOTIFY woke it): leave the waiting state first.
-- Returns how many events were routed and the state the caller is in afterwards:
--   'more'           a full batch was routed: call again at once;
--   'waiting'        the table was read once more after taking the waiting lock and nothing was
--                    left: sleep until a NOTIFY (or the fallback poll), then call with p_release;
--   'writer_open'    a writer that skipped its NOTIFY may still commit: call again shortly;
--   'another_waits'  another sidecar waits and will be notified, so will this one: sleep;
--   'another_routes' another sidecar's router holds the routing lock: call again shortly.
-- Session-level advisory locks ignore rollback: if this call fails, the caller must close the
-- connection (which drops the lock) rather than guess whether it holds it.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION webhook_route_or_wait(p_limit integer, p_release boolean,
                                                 OUT routed integer, OUT state text)
LANGUAGE plpgsql AS $$
DECLARE
    v_more integer;
BEGIN
    IF p_release THEN
        PERFORM webhook_sidecar_stop_wait();
    END IF;
    routed := webhook_route_events(p_limit);
    IF routed < 0 THEN
        routed := 0;
        state := 'another_routes';
        RETURN;
    END IF;
    IF routed >= p_limit THEN
        state := 'more';
        RETURN;
    END IF;
    -- The table was drained as of this statement's snapshot: try to go idle.
    IF NOT webhook_sidecar_try_wait() THEN
        state := CASE WHEN webhook_sidecar_waiting() THEN 'another_waits' ELSE 'writer_open' END;
        RETURN;
    END IF;
    -- Waiting lock held: no writer that skipped its NOTIFY is still open. Read the table once
    -- more (a new snapshot: this is a volatile function in READ COMMITTED).
    v_more := webhook_route_events(p_limit);
    IF v_more > 0 THEN
        PERFORM webhook_sidecar_stop_wait();
        routed := routed + v_more;
        state := 'more';
        RETURN;
    END IF;
    state := 'waiting';
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Waits until every routing committed so far is on disk: webhook_route_events commits without
-- waiting for that. Called in a transaction of its own after reading routed events and before
-- showing them outside the database (the pull API, whose clients move a cursor past what they
-- saw: a routing lost in a crash would number other events again below that cursor). Its commit
-- waits for the WAL flush, which covers every commit before it. When the flush has already
-- reached the end of the WAL (a quiet database, the walwriter done), it writes nothing and
-- waits for nothing: whatever the caller read was committed before this call, so its commit
-- records lie before the WAL's current end.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION webhook_flush_routing() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn() THEN
        RETURN;
    END IF;
    PERFORM set_config('synchronous_commit', 'on', true);
    -- A commit waits for the flush only if its transaction wrote WAL (a transaction id alone is
    -- not enough): a transactional logical message is the smallest such record. Executable by
    -- any role at any wal_level; logical decoding consumers see it under this prefix.
    PERFORM pg_logical_emit_message(true, 'webhook_flush_routing', '');
END
$$;
