-- Odoo webhook sidecar: the router's loop in one round trip.
--
-- Under a steady trickle of writes (Odoo users saving records) the router used to make about
-- five calls per wake-up: leave the waiting state, route, route again to find nothing, try to
-- wait, read the table once more. Measured at 400 single-row writes/s with no subscriber: the
-- sidecar took 29% of a core and the machine 0.5 core more than without it. This function does
-- the same steps, in the same order (the handshake of sql/V2), in one call on the LISTEN
-- connection, which holds the waiting lock.
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

-- A least-privilege sidecar role made before this migration needs the new function too.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        GRANT EXECUTE ON FUNCTION webhook_route_or_wait(integer, boolean) TO webhook_sidecar;
    END IF;
END
$$;
