-- Odoo webhook sidecar, step: wake-up (the NOTIFY-while-idle handshake).
--
-- A NOTIFY in every writing transaction serialises commits (measured: 0.29x TPS at 8 clients),
-- so writers notify only while a sidecar is idle-waiting. The state lives in an advisory lock,
-- not in a table: a lock is seen at once by every transaction, whatever its snapshot (Odoo runs
-- REPEATABLE READ, where a flag row could be read stale and a wake-up lost).
--
--   sidecar idle:  holds the lock EXCLUSIVE (session level, on its LISTEN connection).
--   writer:        try to take it SHARED until commit, never waiting.
--                  - refused  -> a sidecar is waiting: NOTIFY (delivered at commit);
--                  - granted  -> no sidecar waits: no NOTIFY, and the shared hold tells a sidecar
--                                that wants to wait that an uncommitted event may still come.
--   sidecar going idle: webhook_sidecar_try_wait() gets the lock only when no writer that skipped
--                  its NOTIFY is still open; it then re-reads the table once before sleeping, so
--                  every committed event is either seen by that read or announced by a NOTIFY.
--                  If the lock is refused it polls again shortly instead.
-- A stopped sidecar holds nothing, so writers pay no NOTIFY at all; a crashed one loses its
-- lock with its connection. Writers only ever try the lock: they never wait for the sidecar.
-- The router's loop over this handshake is webhook_route_or_wait (R__webhook_route.sql).
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- The writer's side, as a function for reading and for hand-written triggers; the generated
-- capture functions inline the same test because a function call per statement costs more.
CREATE OR REPLACE FUNCTION webhook_wake_sidecar() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- 33606995561901931 is 'webhook' in ASCII; the same key as webhook_sidecar_try_wait().
    IF NOT pg_try_advisory_xact_lock_shared(33606995561901931) THEN
        -- Constant payload: identical notifications in one transaction collapse into one, and the
        -- sidecar reads the data from webhook_event (payloads are limited to 8000 bytes).
        PERFORM pg_notify('webhook_event', '');
    END IF;
END
$$;

-- Called by a sidecar on its LISTEN connection before it sleeps. True: it now holds the lock and
-- must read the event table once more before waiting. False: a writer may still commit an event
-- without notifying, or another sidecar already waits (see webhook_sidecar_waiting()).
CREATE OR REPLACE FUNCTION webhook_sidecar_try_wait() RETURNS boolean
LANGUAGE sql AS $$ SELECT pg_try_advisory_lock(33606995561901931) $$;

-- Called by a sidecar when it wakes up: writers stop notifying while it works.
CREATE OR REPLACE FUNCTION webhook_sidecar_stop_wait() RETURNS boolean
LANGUAGE sql AS $$ SELECT pg_advisory_unlock(33606995561901931) $$;

-- True when some sidecar holds the lock exclusively, i.e. waits and will be notified: another
-- sidecar that could not take the lock may then sleep too (NOTIFY reaches every listener).
-- Asked by a session that does not wait itself (its own lock never conflicts with its request).
-- A shared request is refused only by an exclusive holder (writers hold it shared), so trying it
-- and letting go at once answers the question. Reading pg_locks instead cost 0.37 ms a call,
-- whatever was locked, and a router under a stream of Odoo writes asks many times a second.
CREATE OR REPLACE FUNCTION webhook_sidecar_waiting() RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_try_advisory_lock_shared(33606995561901931) THEN
        PERFORM pg_advisory_unlock_shared(33606995561901931);
        RETURN false;
    END IF;
    RETURN true;
END
$$;
