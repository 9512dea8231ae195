-- Odoo webhook sidecar: capture triggers and the wake-up handshake.
--
-- webhook_track('res.partner') generates one trigger function for the model's table, with an
-- explicit comparison per column (a generic to_jsonb(OLD)/to_jsonb(NEW) diff cost more than the
-- trigger call itself when measured), and installs three statement-level AFTER triggers with
-- transition tables, so a multi-row UPDATE is one trigger call.
-- Everything here is re-runnable: CREATE OR REPLACE, DROP ... IF EXISTS.

-- ---------------------------------------------------------------------------------------------
-- Wake-up handshake.
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
-- ---------------------------------------------------------------------------------------------

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
CREATE OR REPLACE FUNCTION webhook_sidecar_waiting() RETURNS boolean
LANGUAGE sql AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = 33606995561901931)
$$;

-- ---------------------------------------------------------------------------------------------
-- Tracking.
-- ---------------------------------------------------------------------------------------------

-- The table Odoo uses for a model: res.partner -> res_partner.
CREATE OR REPLACE FUNCTION webhook_model_table(p_model text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT replace(p_model, '.', '_') $$;

-- Generates the capture function of one tracked model from the table's current columns.
-- Also called again after Odoo adds columns (webhook_refresh_capture()).
CREATE OR REPLACE FUNCTION webhook_generate_capture_function(p_model text) RETURNS text
LANGUAGE plpgsql AS $generate$
DECLARE
    v_tracked  webhook_tracked_model;
    v_table    regclass;
    v_function text;
    v_changed  text;
BEGIN
    SELECT * INTO v_tracked FROM webhook_tracked_model WHERE model = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Model "%" is not tracked. Track it first: SELECT webhook_track(''%'');',
            p_model, p_model USING ERRCODE = 'undefined_object';
    END IF;
    v_table := to_regclass(quote_ident(v_tracked.table_name));
    v_function := left('webhook_capture_' || v_tracked.table_name, 63);

    -- One CASE per compared column; the array keeps the names of those that changed, sorted
    -- by name like the merged arrays.
    -- Types without an equality operator (json, xml, point, ...) are compared as text.
    SELECT coalesce(string_agg(
               format('CASE WHEN n.%1$I%2$s IS DISTINCT FROM o.%1$I%2$s THEN %3$L END',
                      a.attname,
                      CASE WHEN EXISTS (SELECT 1 FROM pg_operator op
                                        WHERE op.oprname = '=' AND op.oprleft = a.atttypid
                                          AND op.oprright = a.atttypid)
                           THEN '' ELSE '::text' END,
                      a.attname),
               ', ' ORDER BY a.attname), '')
      INTO v_changed
      FROM pg_attribute a
     WHERE a.attrelid = v_table AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname <> 'id' AND a.attname <> ALL (v_tracked.ignored_columns);

    EXECUTE format($template$
CREATE OR REPLACE FUNCTION %1$I() RETURNS trigger
LANGUAGE plpgsql AS $body$
-- Generated by webhook_generate_capture_function(%2$L); do not edit, call it again instead.
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO webhook_event AS e (model, record_id, event)
        SELECT %2$L, n.id, 'create' FROM new_rows n
        -- Deleted then inserted again with the same id in one transaction: it changed.
        ON CONFLICT (txid, model, record_id) WHERE routed_at IS NULL
        DO UPDATE SET event = 'write', changed_fields = NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO webhook_event AS e (model, record_id, event, changed_fields)
        SELECT %2$L, d.id, 'write', d.changed
          FROM (SELECT n.id, array_remove(ARRAY[%3$s]::text[], NULL) AS changed
                  FROM new_rows n JOIN old_rows o ON o.id = n.id) d
         WHERE d.changed <> '{}'
        -- A second UPDATE of the row in this transaction: a create stays a create, a write
        -- gains the fields.
        ON CONFLICT (txid, model, record_id) WHERE routed_at IS NULL
        DO UPDATE SET changed_fields = CASE
            WHEN e.event = 'write' AND e.changed_fields IS NOT NULL THEN
                ARRAY(SELECT DISTINCT f FROM unnest(e.changed_fields || EXCLUDED.changed_fields) f
                      ORDER BY f)
            ELSE e.changed_fields END;
    ELSE
        -- Created and deleted in one transaction: nobody outside ever saw it, nothing to say.
        WITH created_here AS (
            DELETE FROM webhook_event e USING old_rows o
             WHERE e.txid = txid_current() AND e.model = %2$L AND e.record_id = o.id
               AND e.routed_at IS NULL AND e.event = 'create'
            RETURNING e.record_id)
        INSERT INTO webhook_event AS e (model, record_id, event)
        SELECT %2$L, o.id, 'unlink' FROM old_rows o
         WHERE o.id NOT IN (SELECT record_id FROM created_here)
        ON CONFLICT (txid, model, record_id) WHERE routed_at IS NULL
        DO UPDATE SET event = 'unlink', changed_fields = NULL;
    END IF;
    -- The wake-up handshake, inline (a call to webhook_wake_sidecar() costs more than the test):
    -- 33606995561901931 is 'webhook' in ASCII, the key of webhook_sidecar_try_wait().
    IF FOUND AND NOT pg_try_advisory_xact_lock_shared(33606995561901931) THEN
        PERFORM pg_notify('webhook_event', '');
    END IF;
    RETURN NULL;
END
$body$
$template$, v_function, p_model, CASE WHEN v_changed = '' THEN 'NULL' ELSE v_changed END);
    RETURN v_function;
END
$generate$;

-- Starts capturing changes of a model: installs the triggers on its table.
-- p_table defaults to Odoo's naming (res.partner -> res_partner); p_ignored_columns are columns
-- whose change alone is no event. Returns the table name. Safe to call again (re-generates).
CREATE OR REPLACE FUNCTION webhook_track(
    p_model text,
    p_table text DEFAULT NULL,
    p_ignored_columns text[] DEFAULT ARRAY['write_date', 'write_uid']
) RETURNS text
LANGUAGE plpgsql
SET client_min_messages = warning  -- no "trigger does not exist, skipping" notices
AS $$
DECLARE
    v_table_name text := coalesce(p_table, webhook_model_table(p_model));
    v_table      regclass;
    v_id_type    regtype;
    v_function   text;
    v_known      boolean;
BEGIN
    IF p_model IS NULL OR p_model !~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$' THEN
        RAISE EXCEPTION 'Invalid model name "%": use Odoo''s technical name, e.g. res.partner.',
            p_model USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- In an Odoo database, the model must be one Odoo knows (a stand-in table names its table).
    IF p_table IS NULL AND to_regclass('ir_model') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM ir_model WHERE model = $1)' INTO v_known USING p_model;
        IF NOT v_known THEN
            RAISE EXCEPTION 'Model "%" is not installed in this Odoo database (it is not in ir_model). Check the technical name (Settings > Technical > Models) or install its module first.',
                p_model USING ERRCODE = 'undefined_object';
        END IF;
    END IF;
    v_table := to_regclass(quote_ident(v_table_name));
    IF v_table IS NULL THEN
        RAISE EXCEPTION 'Table "%" for model "%" does not exist in database "%". Check the model name (is its module installed?) or name the table: SELECT webhook_track(''%'', ''table_name'');',
            v_table_name, p_model, current_database(), p_model USING ERRCODE = 'undefined_table';
    END IF;
    SELECT a.atttypid::regtype INTO v_id_type
      FROM pg_attribute a WHERE a.attrelid = v_table AND a.attname = 'id' AND NOT a.attisdropped;
    IF v_id_type IS NULL OR v_id_type NOT IN ('integer'::regtype, 'bigint'::regtype, 'smallint'::regtype) THEN
        RAISE EXCEPTION 'Table "%" has no integer "id" column, so its records cannot be identified. Only tables of Odoo models can be tracked.',
            v_table_name USING ERRCODE = 'invalid_table_definition';
    END IF;

    INSERT INTO webhook_tracked_model AS t (model, table_name, active, ignored_columns)
    VALUES (p_model, v_table_name, true, coalesce(p_ignored_columns, '{}'))
    ON CONFLICT (model) DO UPDATE
        SET table_name = EXCLUDED.table_name, active = true,
            ignored_columns = EXCLUDED.ignored_columns, tracked_at = now();

    v_function := webhook_generate_capture_function(p_model);
    EXECUTE format('DROP TRIGGER IF EXISTS webhook_capture_insert ON %I', v_table_name);
    EXECUTE format('DROP TRIGGER IF EXISTS webhook_capture_update ON %I', v_table_name);
    EXECUTE format('DROP TRIGGER IF EXISTS webhook_capture_delete ON %I', v_table_name);
    -- Transition tables need one trigger per operation.
    EXECUTE format('CREATE TRIGGER webhook_capture_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   v_table_name, v_function);
    EXECUTE format('CREATE TRIGGER webhook_capture_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   v_table_name, v_function);
    EXECUTE format('CREATE TRIGGER webhook_capture_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   v_table_name, v_function);
    RETURN v_table_name;
END
$$;

-- Stops capturing a model. Events already captured stay and are still delivered; the model's
-- row stays (inactive) so its settings are kept for a later webhook_track().
CREATE OR REPLACE FUNCTION webhook_untrack(p_model text) RETURNS text
LANGUAGE plpgsql
SET client_min_messages = warning
AS $$
DECLARE
    v_tracked webhook_tracked_model;
BEGIN
    SELECT * INTO v_tracked FROM webhook_tracked_model WHERE model = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Model "%" is not tracked, so there is nothing to untrack. See the tracked models: SELECT model FROM webhook_tracked_model;',
            p_model USING ERRCODE = 'undefined_object';
    END IF;
    IF to_regclass(quote_ident(v_tracked.table_name)) IS NOT NULL THEN
        EXECUTE format('DROP TRIGGER IF EXISTS webhook_capture_insert ON %I', v_tracked.table_name);
        EXECUTE format('DROP TRIGGER IF EXISTS webhook_capture_update ON %I', v_tracked.table_name);
        EXECUTE format('DROP TRIGGER IF EXISTS webhook_capture_delete ON %I', v_tracked.table_name);
    END IF;
    EXECUTE format('DROP FUNCTION IF EXISTS %I()', left('webhook_capture_' || v_tracked.table_name, 63));
    UPDATE webhook_tracked_model SET active = false WHERE model = p_model;
    RETURN v_tracked.table_name;
END
$$;

-- Whether the capture triggers of a model are really installed (the addon shows it).
CREATE OR REPLACE FUNCTION webhook_capture_installed(p_model text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT count(*) = 3
      FROM webhook_tracked_model t
      JOIN pg_trigger g ON g.tgrelid = to_regclass(quote_ident(t.table_name))
     WHERE t.model = p_model
       AND g.tgname IN ('webhook_capture_insert', 'webhook_capture_update', 'webhook_capture_delete')
$$;

-- Re-generates the capture functions of all active models, e.g. after an Odoo module upgrade
-- added columns. Replacing a function takes no lock on Odoo's tables.
CREATE OR REPLACE FUNCTION webhook_refresh_capture() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_model text;
    v_count integer := 0;
BEGIN
    FOR v_model IN SELECT model FROM webhook_tracked_model WHERE active ORDER BY model LOOP
        PERFORM webhook_generate_capture_function(v_model);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Keeping the capture functions in step with Odoo's schema.
--
-- A generated function names the table's columns. A column Odoo adds is simply not compared
-- until the function is regenerated; a column Odoo DROPS (module uninstall) would make every
-- write to the table fail. So an event trigger regenerates the function of a tracked table in
-- the same transaction as any ALTER TABLE of it. Event triggers can only be created by a
-- superuser: without one, run `track` again after Odoo module upgrades (the sidecar also
-- refreshes every tracked model when it starts).
-- ---------------------------------------------------------------------------------------------

-- SECURITY DEFINER: Odoo's user runs the ALTER TABLE, but replacing the generated function needs
-- its owner's rights; a failure here would fail Odoo's ALTER TABLE.
CREATE OR REPLACE FUNCTION webhook_on_alter_table() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_model text;
BEGIN
    FOR v_model IN
        SELECT t.model FROM pg_event_trigger_ddl_commands() c
          JOIN webhook_tracked_model t ON to_regclass(quote_ident(t.table_name)) = c.objid
         WHERE c.classid = 'pg_class'::regclass AND t.active
    LOOP
        PERFORM webhook_generate_capture_function(v_model);
    END LOOP;
END
$$;

DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        SET LOCAL client_min_messages = warning;
        DROP EVENT TRIGGER IF EXISTS webhook_capture_follows_alter_table;
        CREATE EVENT TRIGGER webhook_capture_follows_alter_table ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE')
            EXECUTE FUNCTION webhook_on_alter_table();
    ELSE
        RAISE NOTICE 'Not a superuser: the event trigger that keeps capture functions in step with ALTER TABLE was not created. Run `track MODEL` again after Odoo module upgrades, or apply sql/V2__webhook_capture.sql as a superuser.';
    END IF;
END
$$;
