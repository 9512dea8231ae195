-- The router of V5, set-based for the common case.
--
-- V5 routes one event at a time: for each event and each subscriber, a plpgsql call that locks
-- the record's unsent deliveries and inserts or merges, then an UPDATE of the event. That is
-- four to five statements per event, and the benchmarks measured it as the largest share of
-- PostgreSQL's CPU while events arrive steadily.
--
-- Most events need none of that care: their record has no other news in the batch and no
-- unsent delivery for the subscriber, so routing them only inserts a new delivery. This version
-- inserts all of those with one statement and numbers and marks all events of the batch with
-- another. Only events whose record does have other news or an unsent delivery take V5's path
-- (webhook_merge_event, in event order, then subscriber order, as before). Batches of fewer
-- than 8 events go entirely the per-event way.
--
-- What stays the same:
-- * one router at a time (the advisory lock), so routed_seq order is commit order (V5);
-- * the events of one record merge in id order: every pair of a record with more than one
--   event in the batch, or with an unsent delivery, goes the per-event way, in id order;
-- * the arguments and the result.
-- The two paths never touch the same (subscriber, record), so running the simple inserts first
-- gives the same deliveries as V5; only the ids of deliveries of different records may come in
-- another order, and no order across records is promised.
--
-- Race with the dispatcher: a simple record has no pending, failed, in-flight or dead delivery,
-- so no other function can be changing one; a manual replay of a sent delivery racing the
-- router ends as it did in V5 (the unique index lets one open delivery through, the other
-- transaction fails and is retried).
CREATE OR REPLACE FUNCTION webhook_route_events(p_limit integer DEFAULT 500)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids         bigint[];
    v_routed      integer;
    v_first_seq   bigint;
    v_merge_event bigint[];
    v_merge_sub   bigint[];
    v_made        integer;
    e             webhook_event;
    sub           webhook_subscriber;
BEGIN
    -- 33610362934096997 is 'whroute' in ASCII; see V5.
    IF NOT pg_try_advisory_xact_lock(33610362934096997) THEN
        RETURN -1;
    END IF;
    SELECT array_agg(id ORDER BY id) INTO v_ids
      FROM (SELECT id FROM webhook_event WHERE routed_at IS NULL ORDER BY id LIMIT p_limit) batch;
    v_routed := coalesce(cardinality(v_ids), 0);
    IF v_routed = 0 THEN
        RETURN 0;
    END IF;
    -- A trickle (a few events per call) goes V5's way: the set statements cost about 0.6 ms
    -- more per call than they save there, which showed in commit-to-delivery latency.
    IF v_routed < 8 THEN
        FOR e IN SELECT * FROM webhook_event WHERE id = ANY (v_ids) ORDER BY id LOOP
            v_made := 0;
            FOR sub IN SELECT * FROM webhook_subscriber ORDER BY id LOOP
                IF webhook_subscriber_wants(sub, e.model, e.event, e.changed_fields) THEN
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
          JOIN webhook_subscriber s ON webhook_subscriber_wants(s, ev.model, ev.event, ev.changed_fields)
         WHERE ev.id = ANY (v_ids)
    ), sorted AS (
        SELECT p.*,
               p.news = 1 AND NOT EXISTS (
                   SELECT 1 FROM webhook_delivery d
                    WHERE d.subscriber_id = p.subscriber_id AND d.model = p.model
                      AND d.record_id = p.record_id
                      AND d.status IN ('pending', 'failed', 'processing', 'dead')) AS simple
          FROM pair p
    ), made AS (
        INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, changed_fields,
                                      first_event_id, last_event_id,
                                      first_captured_at, last_captured_at)
        SELECT subscriber_id, model, record_id, event, changed_fields,
               id, id, captured_at, captured_at
          FROM sorted
         WHERE simple
         ORDER BY id, subscriber_id
    )
    SELECT array_agg(id ORDER BY id, subscriber_id), array_agg(subscriber_id ORDER BY id, subscriber_id)
      INTO v_merge_event, v_merge_sub
      FROM sorted
     WHERE NOT simple;

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
           delivery_count = (SELECT count(*) FROM webhook_subscriber s
                              WHERE webhook_subscriber_wants(s, ev.model, ev.event, ev.changed_fields)),
           routed_seq = v_first_seq + b.ord - 1
      FROM unnest(v_ids) WITH ORDINALITY AS b(id, ord)
     WHERE ev.id = b.id
       AND ev.id = ANY (v_ids);  -- lets the planner use the primary key, not hash the table
    RETURN v_routed;
END
$$;
