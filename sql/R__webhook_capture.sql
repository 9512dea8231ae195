-- Odoo webhook sidecar, step: capture (tracking models, the generated trigger functions).
--
-- webhook_track('res.partner') generates one trigger function for the model's table, with an
-- explicit comparison per column (a generic to_jsonb(OLD)/to_jsonb(NEW) diff cost more than the
-- trigger call itself when measured), and installs three statement-level AFTER triggers with
-- transition tables, so a multi-row UPDATE is one trigger call. The generated functions write
-- webhook_event rows and wake a waiting sidecar inline (R__webhook_wakeup.sql).
--
-- Two more triggers call the same function, so that no change is silent news:
--   webhook_capture_update_id  a row-level AFTER UPDATE OF id trigger: an UPDATE that changes a
--       record's id is the old id's unlink and the new id's create. Only UPDATEs that list id in
--       their SET fire it (Odoo's never do), so ordinary writes pay nothing for it.
--   webhook_capture_truncate   BEFORE TRUNCATE: every row of the table is announced as unlink,
--       as a DELETE would be. Odoo itself truncates some tables (crm's scoring frequencies,
--       mail's push queue in neutralize.sql), so refusing TRUNCATE could break Odoo.
-- A function's name carries a hash of its table's name (webhook_capture_function_name): names
-- are cut at 63 bytes, and two long table names must never share one function.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- The table Odoo uses for a model: res.partner -> res_partner.
CREATE OR REPLACE FUNCTION webhook_model_table(p_model text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT replace(p_model, '.', '_') $$;

-- The name of a table's capture function: readable, and distinct for distinct tables however
-- long their names (identifiers are cut at 63 bytes: two tables sharing a long prefix shared
-- one function before). At most 16 + 30 + 1 + 12 = 59 characters.
CREATE OR REPLACE FUNCTION webhook_capture_function_name(p_table text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'webhook_capture_' || left(regexp_replace(p_table, '[^a-z0-9_]', '', 'g'), 30)
           || '_' || left(md5(p_table), 12)
$$;

-- Why a table cannot be tracked, or NULL if it can. A table the capture or the sidecar writes
-- would feed the capture with its own writes (tracking webhook_event made every tracked write
-- fail with "stack depth limit exceeded"; webhook_delivery turned one insert into hundreds of
-- thousands of deliveries). A table that is not shaped like an Odoo model's (an id that is
-- unique and never NULL) would make its own inserts and updates fail.
CREATE OR REPLACE FUNCTION webhook_untrackable_reason(p_table regclass) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_class   pg_class;
    v_id      pg_attribute;
BEGIN
    SELECT * INTO v_class FROM pg_class WHERE oid = p_table;
    IF v_class.relname LIKE 'webhook\_%' OR EXISTS (
           SELECT 1 FROM pg_inherits i
             JOIN pg_class parent ON parent.oid = i.inhparent
             JOIN pg_class child ON child.oid = i.inhrelid
            WHERE (i.inhrelid = p_table AND parent.relname LIKE 'webhook\_%')
               OR (i.inhparent = p_table AND child.relname LIKE 'webhook\_%')) THEN
        RETURN format('Table "%s" is one of the webhook sidecar''s own tables (webhook_*): capturing it would feed the capture with its own writes, so it is never tracked. Track Odoo''s tables only.',
                      v_class.relname);
    END IF;
    IF v_class.relkind <> 'r' THEN
        RETURN format('"%s" is not a plain table (a view, a partitioned or foreign table?): only tables of Odoo models can be tracked.',
                      v_class.relname);
    END IF;
    SELECT * INTO v_id FROM pg_attribute a WHERE a.attrelid = p_table AND a.attname = 'id' AND NOT a.attisdropped;
    IF NOT FOUND OR v_id.atttypid NOT IN ('integer'::regtype, 'bigint'::regtype, 'smallint'::regtype) THEN
        RETURN format('Table "%s" has no integer "id" column, so its records cannot be identified. Only tables of Odoo models can be tracked.',
                      v_class.relname);
    END IF;
    IF NOT v_id.attnotnull THEN
        RETURN format('Table "%s" is not shaped like an Odoo model''s table: its "id" may be NULL, and a record without an id cannot be announced (its inserts would fail once tracked). Odoo''s tables have "id serial PRIMARY KEY"; fix it with ALTER TABLE %I ADD PRIMARY KEY (id), or track another table.',
                      v_class.relname, v_class.relname);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_index x
                    WHERE x.indrelid = p_table AND x.indisunique AND x.indisvalid
                      AND x.indnkeyatts = 1 AND x.indkey[0] = v_id.attnum
                      AND x.indpred IS NULL AND x.indexprs IS NULL) THEN
        RETURN format('Table "%s" is not shaped like an Odoo model''s table: its "id" is not unique (no primary key or unique index on id alone), so two records could share one id and their news would be merged. Odoo''s tables have "id serial PRIMARY KEY"; fix it with ALTER TABLE %I ADD PRIMARY KEY (id), or track another table.',
                      v_class.relname, v_class.relname);
    END IF;
    RETURN NULL;
END
$$;

-- The capture triggers, by name: statement-level for INSERT, UPDATE and DELETE (transition
-- tables), row-level for an UPDATE that changes the id, and BEFORE TRUNCATE.
CREATE OR REPLACE FUNCTION webhook_capture_trigger_names() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['webhook_capture_insert', 'webhook_capture_update', 'webhook_capture_delete',
                 'webhook_capture_update_id', 'webhook_capture_truncate']
$$;

-- Whether all capture triggers of a table exist and call p_function.
CREATE OR REPLACE FUNCTION webhook_capture_triggers_current(p_table text, p_function text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT count(*) = cardinality(webhook_capture_trigger_names())
      FROM pg_trigger g
     WHERE g.tgrelid = to_regclass(quote_ident(p_table))
       AND g.tgname = ANY (webhook_capture_trigger_names())
       AND g.tgfoid = to_regprocedure(quote_ident(p_function) || '()')
$$;

-- Drops those of the given capture functions that no trigger calls any more (a function under
-- an older name, once its table's triggers call the new one).
CREATE OR REPLACE FUNCTION webhook_drop_unused_capture_functions(p_functions oid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_function text;
BEGIN
    FOR v_function IN
        SELECT p.oid::regprocedure::text FROM pg_proc p
         WHERE p.oid = ANY (p_functions) AND p.proname LIKE 'webhook\_capture\_%'
           AND p.prorettype = 'trigger'::regtype
           AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgfoid = p.oid)
    LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s', v_function);
    END LOOP;
END
$$;

-- (Re)creates the capture triggers of a table so that they call p_function, and drops the
-- functions they called before if nothing else calls them. Creating a trigger locks the table
-- against writes for the moment it takes (and waits for open transactions on it): callers set
-- a lock_timeout, or hold the lock already (ALTER TABLE).
CREATE OR REPLACE FUNCTION webhook_install_capture_triggers(p_table text, p_function text) RETURNS void
LANGUAGE plpgsql
SET client_min_messages = warning  -- no "trigger does not exist, skipping" notices
AS $$
DECLARE
    v_before oid[];
    v_name   text;
BEGIN
    SELECT array_agg(DISTINCT g.tgfoid) INTO v_before
      FROM pg_trigger g
     WHERE g.tgrelid = to_regclass(quote_ident(p_table)) AND g.tgname = ANY (webhook_capture_trigger_names());
    FOREACH v_name IN ARRAY webhook_capture_trigger_names() LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', v_name, p_table);
    END LOOP;
    -- Transition tables need one trigger per operation.
    EXECUTE format('CREATE TRIGGER webhook_capture_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   p_table, p_function);
    EXECUTE format('CREATE TRIGGER webhook_capture_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   p_table, p_function);
    EXECUTE format('CREATE TRIGGER webhook_capture_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   p_table, p_function);
    -- Fires only for UPDATEs whose SET lists id (a column list cannot have transition tables,
    -- hence row-level), and of those only for rows whose id really changed.
    EXECUTE format('CREATE TRIGGER webhook_capture_update_id AFTER UPDATE OF id ON %I FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION %I()',
                   p_table, p_function);
    EXECUTE format('CREATE TRIGGER webhook_capture_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   p_table, p_function);
    PERFORM webhook_drop_unused_capture_functions(coalesce(v_before, '{}'));
END
$$;

-- After a capture function was (re)generated: if the table has capture triggers that do not
-- all call it (a database tracked by an older release: functions named by a cut table name,
-- three triggers), re-creates them on it once and drops the old function. Returns p_function.
CREATE OR REPLACE FUNCTION webhook_point_capture_triggers(p_table text, p_regclass regclass, p_function text)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF p_regclass IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_trigger g
                    WHERE g.tgrelid = p_regclass AND g.tgname = ANY (webhook_capture_trigger_names()))
       AND NOT webhook_capture_triggers_current(p_table, p_function) THEN
        PERFORM webhook_install_capture_triggers(p_table, p_function);
    END IF;
    RETURN p_function;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The generated capture functions.
--
-- One template (webhook_generate_capture_function) and one builder per kind of statement
-- (create, write, unlink), each written once for both kinds of model: with p_values NULL a
-- statement records ids and changed field names only, exactly as cheap as before values could
-- be captured; else p_values is the jsonb expression of a row's captured values (alias n for
-- the new row, o for the old one; for a write, only those it must record), and the statement
-- also records them, bounded to p_limit bytes by webhook_bounded_values (markers, never a cut
-- value). Each builder makes two forms of its statement: one that merges into the events the
-- transaction recorded before (ON CONFLICT), and a plain INSERT for the first statement of a
-- transaction on the model; webhook_capture_merge_or_insert_sql chooses at run time.
--
-- Each trigger call is a new executor for its statements, which PostgreSQL prepares anew: the
-- cost of a 1-row statement is mostly that preparation, not the row. Counted in instructions
-- of one backend (valgrind, 1-row UPDATEs of an Odoo-like res_partner: see
-- bench/results/2026-12-07-capture), three choices below follow from it: the transaction flag
-- instead of a query (webhook_capture_merge_or_insert_sql), the changed fields computed once
-- per row (webhook_capture_write_sql), and webhook_event without CHECK constraints (V23).
-- ---------------------------------------------------------------------------------------------

-- Folded into webhook_generate_capture_function; the builders before they took p_merge; the
-- chooser before the transaction flag. (No "does not exist, skipping" notice.)
SET LOCAL client_min_messages = warning;
DROP FUNCTION IF EXISTS webhook_capture_merge_or_insert_sql(text, text, text);
DROP FUNCTION IF EXISTS webhook_generate_capture_with_values(webhook_tracked_model, regclass, text, text);
DROP FUNCTION IF EXISTS webhook_capture_create_sql(text, text, text, integer);
DROP FUNCTION IF EXISTS webhook_capture_write_sql(text, text, text, text, integer);
DROP FUNCTION IF EXISTS webhook_capture_unlink_sql(text, text, boolean, text, integer);
RESET client_min_messages;

-- Whether column p_column differs between the new row n and the old row o. Types without an
-- equality operator (json, xml, point, ...) are compared as text.
CREATE OR REPLACE FUNCTION webhook_column_changed_sql(p_column name, p_type oid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('n.%1$I%2$s IS DISTINCT FROM o.%1$I%2$s', p_column,
                  CASE WHEN EXISTS (SELECT 1 FROM pg_operator op
                                     WHERE op.oprname = '=' AND op.oprleft = p_type AND op.oprright = p_type)
                       THEN '' ELSE '::text' END)
$$;

-- {field: value} of those of p_fields that changed between the new row n and the old row o, the
-- value taken from p_alias (o: before, n: after). One small object per changed field; an
-- unchanged one adds '{}', which jsonb's || passes over at no cost. A write usually changes one
-- or two fields: building one object of every captured field cost more, and wrote more bytes
-- into Odoo's transaction, than this.
CREATE OR REPLACE FUNCTION webhook_changed_values_sql(p_table regclass, p_fields text[], p_alias text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(format('CASE WHEN %s THEN jsonb_build_object(%L, %I.%I) ELSE ''{}''::jsonb END',
                                      webhook_column_changed_sql(a.attname, a.atttypid), a.attname, p_alias, a.attname),
                               ' || ' ORDER BY a.attname), $q$'{}'::jsonb$q$)
      FROM pg_attribute a
     WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname = ANY (p_fields)
$$;

-- The rows a statement reads, as d: the id of p_alias and p_columns (may be NULL), from
-- p_source. p_fence (with values): OFFSET 0 keeps each row's values computed once, not again
-- by the size test.
CREATE OR REPLACE FUNCTION webhook_capture_rows_sql(p_alias text, p_source text, p_columns text,
                                                    p_fence boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('(SELECT %s.id%s FROM %s%s) d', p_alias, coalesce(', ' || p_columns, ''), p_source,
                  CASE WHEN p_fence THEN ' OFFSET 0' ELSE '' END)
$$;

-- Column d.p_column of captured values, bounded to p_limit bytes (the size test is cheap).
CREATE OR REPLACE FUNCTION webhook_capture_bounded_sql(p_column text, p_limit integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('CASE WHEN pg_column_size(d.%1$s) > %2$s THEN webhook_bounded_values(d.%1$s, %2$s) ELSE d.%1$s END',
                  p_column, p_limit)
$$;

-- Creates of the rows of p_source (alias n). A create over an event of the record earlier in
-- the transaction (deleted, then inserted again with the same id) is a write: it changed.
-- p_merge false: a plain INSERT, for a transaction with no event of the model yet
-- (webhook_capture_merge_or_insert_sql).
CREATE OR REPLACE FUNCTION webhook_capture_create_sql(p_model text, p_source text, p_values text,
                                                      p_limit integer, p_merge boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format($sql$INSERT INTO webhook_event AS e (model, record_id, event%3$s)
        SELECT %1$L, d.id, 'create'%4$s
          FROM %2$s%5$s;$sql$,
        p_model,
        webhook_capture_rows_sql('n', p_source, p_values || ' AS new_values', p_values IS NOT NULL),
        CASE WHEN p_values IS NOT NULL THEN ', new_values' ELSE '' END,
        CASE WHEN p_values IS NOT NULL THEN ', ' || webhook_capture_bounded_sql('new_values', p_limit) ELSE '' END,
        CASE WHEN p_merge THEN $sql$
        ON CONFLICT (txid, model, record_id) WHERE routed_at IS NULL
        DO UPDATE SET event = 'write', changed_fields = NULL$sql$
             || CASE WHEN p_values IS NOT NULL THEN ', new_values = EXCLUDED.new_values' ELSE '' END
        ELSE '' END)
$$;

-- Writes of the rows of new_rows n and old_rows o: p_changed is the list of CASEs naming the
-- compared columns that changed; p_values the {field: new value} of the captured ones that
-- changed and of those a domain names, p_old_changed the {field: old value} of the captured
-- ones that changed. p_merge: a second UPDATE of a row in the transaction merges into its event
-- (a create stays a create, a write gains the fields; new values are added to those recorded
-- before, old values stay those from before the transaction); false: a plain INSERT.
CREATE OR REPLACE FUNCTION webhook_capture_write_sql(p_model text, p_changed text, p_values text,
                                                     p_old_changed text, p_limit integer,
                                                     p_merge boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format($sql$INSERT INTO webhook_event AS e (model, record_id, event, changed_fields%3$s)
        SELECT %1$L, d.id, 'write', d.changed%4$s
          FROM %2$s
         WHERE d.changed <> '{}'%5$s;$sql$,
        p_model,
        -- Always fenced: else the array of changed fields, one CASE per column, is prepared and
        -- computed twice, for the WHERE and for the INSERT (a sixth of a 1-row UPDATE's capture).
        webhook_capture_rows_sql('n', 'new_rows n JOIN old_rows o ON o.id = n.id',
            format('array_remove(ARRAY[%s]::text[], NULL) AS changed', p_changed)
            || CASE WHEN p_values IS NOT NULL
                    THEN format(', %s AS old_values, %s AS new_values', p_old_changed, p_values) ELSE '' END,
            true),
        CASE WHEN p_values IS NOT NULL THEN ', old_values, new_values' ELSE '' END,
        CASE WHEN p_values IS NOT NULL
             THEN ', ' || webhook_capture_bounded_sql('old_values', p_limit)
                  || ', ' || webhook_capture_bounded_sql('new_values', p_limit) ELSE '' END,
        CASE WHEN p_merge THEN $sql$
        ON CONFLICT (txid, model, record_id) WHERE routed_at IS NULL
        DO UPDATE SET changed_fields = CASE
            WHEN e.event = 'write' AND e.changed_fields IS NOT NULL THEN
                ARRAY(SELECT DISTINCT f FROM unnest(e.changed_fields || EXCLUDED.changed_fields) f
                      ORDER BY f)
            ELSE e.changed_fields END$sql$
             || CASE WHEN p_values IS NOT NULL THEN $sql$,
            new_values = coalesce(e.new_values, '{}') || EXCLUDED.new_values,
            old_values = CASE WHEN e.event = 'write' THEN EXCLUDED.old_values || coalesce(e.old_values, '{}')
                              ELSE e.old_values END$sql$ ELSE '' END
        ELSE '' END)
$$;

-- Unlinks of the rows of p_source (alias o), with their last values. p_merge: a record created
-- in this transaction was never seen outside it: its create is dropped and nothing is said
-- (p_its_rows: only the creates of p_source's rows; else every create of the model, for
-- TRUNCATE); written earlier in the transaction, the last values are those from before it.
-- p_merge false: a plain INSERT.
CREATE OR REPLACE FUNCTION webhook_capture_unlink_sql(p_model text, p_source text, p_its_rows boolean,
                                                      p_values text, p_limit integer,
                                                      p_merge boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format($sql$%3$sINSERT INTO webhook_event AS e (model, record_id, event%5$s)
        SELECT %1$L, d.id, 'unlink'%6$s
          FROM %2$s%4$s%7$s;$sql$,
        p_model,
        webhook_capture_rows_sql('o', p_source, p_values || ' AS old_values', p_values IS NOT NULL),
        CASE WHEN p_merge THEN format($sql$WITH created_here AS (
            DELETE FROM webhook_event e%2$s
             WHERE e.txid = txid_current() AND e.model = %1$L%3$s
               AND e.routed_at IS NULL AND e.event = 'create'
            RETURNING e.record_id)
        $sql$, p_model,
            CASE WHEN p_its_rows THEN ' USING ' || p_source ELSE '' END,
            CASE WHEN p_its_rows THEN ' AND e.record_id = o.id' ELSE '' END) ELSE '' END,
        CASE WHEN p_merge THEN $sql$
         WHERE d.id NOT IN (SELECT record_id FROM created_here)$sql$ ELSE '' END,
        CASE WHEN p_values IS NOT NULL THEN ', old_values' ELSE '' END,
        CASE WHEN p_values IS NOT NULL THEN ', ' || webhook_capture_bounded_sql('old_values', p_limit) ELSE '' END,
        CASE WHEN p_merge THEN $sql$
        ON CONFLICT (txid, model, record_id) WHERE routed_at IS NULL
        DO UPDATE SET event = 'unlink', changed_fields = NULL$sql$
             || CASE WHEN p_values IS NOT NULL THEN $sql$, new_values = NULL,
            old_values = EXCLUDED.old_values
                         || coalesce(CASE WHEN e.event = 'write' THEN e.old_values END, '{}')$sql$ ELSE '' END
        ELSE '' END)
$$;

-- A statement's capture: p_merge_sql (ON CONFLICT: merges into the events this transaction
-- recorded before) if the transaction has an event of the table, else p_insert_sql (plain
-- INSERTs). Odoo's transactions mostly write a record once: one test per statement then replaces
-- ON CONFLICT's probe and speculative insertion per row (a 200-row UPDATE cost its backend about
-- 15% less CPU and 6% less WAL, measured by hand). The generated function answers the test with
-- v_merge, from the transaction's flag (webhook_capture_flag).
CREATE OR REPLACE FUNCTION webhook_capture_merge_or_insert_sql(p_merge_sql text, p_insert_sql text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format($sql$IF v_merge THEN
            %1$s
        ELSE
            %2$s
        END IF;$sql$, p_merge_sql, p_insert_sql)
$$;

-- The name of the flag that says "this transaction has recorded events of this table": a
-- setting local to the transaction, set by the table's capture function once a statement of
-- the transaction recorded events, read by each of its statements to choose between merging
-- and plain INSERTs (webhook_capture_merge_or_insert_sql). Querying the events instead cost
-- about 30,000 instructions a statement (7% of a 1-row UPDATE's capture), the setting about
-- 13,000, reading and setting it. The flag lives and dies with the events it stands for: the
-- transaction's end resets it, and a savepoint rolled back restores it as it was, as it removes
-- the events written since. Named after the capture function: unique per table, and a valid
-- setting name.
CREATE OR REPLACE FUNCTION webhook_capture_flag(p_function text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'webhook.' || p_function $$;

-- Generates the capture function of one tracked model from the table's current columns, with
-- the values of its captured fields if it has any (webhook_set_captured_fields): new_values
-- (create: all captured fields; write: those that changed, and those the model's subscribers'
-- domains name, changed or not, so that a domain can test a field a write did not change) and
-- old_values (write: the captured fields that changed, as they were before the transaction;
-- unlink: all captured fields, the record's last values). Generated again when the fields the
-- domains name change (webhook_subscriber_follow_domain_fields, R__webhook_content.sql).
-- Also called again after Odoo adds columns (webhook_refresh_capture()).
CREATE OR REPLACE FUNCTION webhook_generate_capture_function(p_model text) RETURNS text
LANGUAGE plpgsql AS $generate$
DECLARE
    v_tracked     webhook_tracked_model;
    v_table       regclass;
    v_function    text;
    v_changed     text;
    v_new_values  text;
    v_old_values  text;
    v_old_changed text;
    v_new_written text;
    v_domain_fields text[];
    v_lock_timeout text;
BEGIN
    SELECT * INTO v_tracked FROM webhook_tracked_model WHERE model = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Model "%" is not tracked. Track it first: SELECT webhook_track(''%'');',
            p_model, p_model USING ERRCODE = 'undefined_object';
    END IF;
    -- One generation of a table's function at a time: two transactions replacing the same
    -- function (a subscriber saved while Odoo upgrades a module) would fail the second with
    -- "tuple concurrently updated". Held to the end of the transaction.
    PERFORM pg_advisory_xact_lock(hashtextextended('webhook_capture/' || v_tracked.table_name, 0));
    v_table := to_regclass(quote_ident(v_tracked.table_name));
    v_function := webhook_capture_function_name(v_tracked.table_name);
    IF EXISTS (SELECT 1 FROM webhook_tracked_model t
                WHERE t.active AND t.model <> p_model AND t.table_name <> v_tracked.table_name
                  AND webhook_capture_function_name(t.table_name) = v_function) THEN
        -- Never shared: refuse rather than announce one table's changes as another's.
        RAISE EXCEPTION 'The capture function name % of table % is taken by another tracked table. Rename one of the tables, or untrack the other first.',
            v_function, v_tracked.table_name USING ERRCODE = 'duplicate_function';
    END IF;

    -- One CASE per compared column; the array keeps the names of those that changed, sorted
    -- by name like the merged arrays.
    SELECT coalesce(string_agg(format('CASE WHEN %s THEN %L END',
                                      webhook_column_changed_sql(a.attname, a.atttypid), a.attname),
                               ', ' ORDER BY a.attname), 'NULL')
      INTO v_changed
      FROM pg_attribute a
     WHERE a.attrelid = v_table AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname <> 'id' AND a.attname <> ALL (v_tracked.ignored_columns);

    IF cardinality(v_tracked.captured_fields) > 0 THEN
        v_new_values := webhook_values_expression(v_tracked.captured_fields, 'n');
        v_old_values := webhook_values_expression(v_tracked.captured_fields, 'o');
        -- The captured fields some subscriber's domain names (their new values go with every write).
        v_domain_fields := ARRAY(
            SELECT DISTINCT f FROM webhook_subscriber s, unnest(s.domain_fields) f
             WHERE s.models = ARRAY[p_model] AND f = ANY (v_tracked.captured_fields) ORDER BY f);
        v_old_changed := webhook_changed_values_sql(v_table, v_tracked.captured_fields, 'o');
        v_new_written := webhook_changed_values_sql(
            v_table, ARRAY(SELECT f FROM unnest(v_tracked.captured_fields) f WHERE f <> ALL (v_domain_fields)), 'n');
        IF cardinality(v_domain_fields) > 0 THEN
            v_new_written := webhook_values_expression(v_domain_fields, 'n') || ' || ' || v_new_written;
        END IF;
    END IF;

    -- A capture function from before the transaction flag did not set it: a transaction that
    -- recorded a record's event through it, then writes the record again through the new one,
    -- would insert a second event where it must merge (a unique violation, failing Odoo's
    -- write). So the first generation with the flag waits until no transaction that writes the
    -- table is open, as re-creating its triggers does: 3 s at most (the caller's lock_timeout if
    -- it set one, as track and refresh do), then one clear error and nothing changed.
    IF v_table IS NOT NULL AND EXISTS (
           SELECT 1 FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid
            WHERE g.tgrelid = v_table AND g.tgname = ANY (webhook_capture_trigger_names())
              AND position(webhook_capture_flag(v_function) IN p.prosrc) = 0) THEN
        v_lock_timeout := current_setting('lock_timeout');
        IF v_lock_timeout = '0' THEN
            PERFORM set_config('lock_timeout', '3s', true);
        END IF;
        BEGIN
            EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', v_tracked.table_name);
        EXCEPTION WHEN lock_not_available THEN
            RAISE EXCEPTION 'The capture of "%" cannot be upgraded while a transaction that wrote to table % before the upgrade is still open (waited %). Try again in a moment; the sidecar also tries again at its next start.',
                p_model, v_tracked.table_name, current_setting('lock_timeout')
                USING ERRCODE = 'lock_not_available';
        END;
        IF v_lock_timeout = '0' THEN
            -- The caller's transaction goes on without a lock timeout, as it began.
            PERFORM set_config('lock_timeout', v_lock_timeout, true);
        END IF;
    END IF;

    EXECUTE format($template$
CREATE OR REPLACE FUNCTION %1$I() RETURNS trigger
LANGUAGE plpgsql AS $body$
-- Generated by webhook_generate_capture_function(%2$L); do not edit, call it again instead.
DECLARE
    -- Whether this transaction has recorded events of the table (webhook_capture_flag).
    v_merge boolean := coalesce(current_setting(%9$L, true) = 'on', false);
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        -- webhook_capture_update_id: the UPDATE changed this record's id. The old id is gone
        -- (unless created in this transaction: then nobody saw it), the new one is new.
        %3$s
        %4$s
    ELSIF TG_OP = 'INSERT' THEN
        %5$s
    ELSIF TG_OP = 'UPDATE' THEN
        %6$s
    ELSIF TG_OP = 'TRUNCATE' THEN
        -- BEFORE TRUNCATE: every row is announced as a DELETE would announce it.
        %7$s
    ELSE
        -- DELETE: a record created in this transaction was never seen outside it, nothing to say.
        %8$s
    END IF;
    IF FOUND THEN
        IF NOT v_merge THEN
            -- An assignment, not PERFORM: PL/pgSQL evaluates it as a simple expression, where
            -- PERFORM would start an executor, the cost this flag is here to avoid.
            v_merge := set_config(%9$L, 'on', true) = 'on';
        END IF;
        -- The wake-up handshake, inline (a call to webhook_wake_sidecar() costs more than the
        -- test): 33606995561901931 is 'webhook' in ASCII, the key of webhook_sidecar_try_wait().
        IF NOT pg_try_advisory_xact_lock_shared(33606995561901931) THEN
            PERFORM pg_notify('webhook_event', '');
        END IF;
    END IF;
    RETURN NULL;
END
$body$
$template$, v_function, p_model,
        -- Rare statements (an UPDATE of the id, TRUNCATE) always merge.
        webhook_capture_unlink_sql(p_model, '(SELECT OLD.*) o', true, v_old_values, v_tracked.capture_limit_bytes, true),
        webhook_capture_create_sql(p_model, '(SELECT NEW.*) n', v_new_values, v_tracked.capture_limit_bytes, true),
        webhook_capture_merge_or_insert_sql(
            webhook_capture_create_sql(p_model, 'new_rows n', v_new_values, v_tracked.capture_limit_bytes, true),
            webhook_capture_create_sql(p_model, 'new_rows n', v_new_values, v_tracked.capture_limit_bytes, false)),
        webhook_capture_merge_or_insert_sql(
            webhook_capture_write_sql(p_model, v_changed, v_new_written, v_old_changed, v_tracked.capture_limit_bytes, true),
            webhook_capture_write_sql(p_model, v_changed, v_new_written, v_old_changed, v_tracked.capture_limit_bytes, false)),
        webhook_capture_unlink_sql(p_model, format('%I o', v_tracked.table_name), false, v_old_values,
                                   v_tracked.capture_limit_bytes, true),
        webhook_capture_merge_or_insert_sql(
            webhook_capture_unlink_sql(p_model, 'old_rows o', true, v_old_values, v_tracked.capture_limit_bytes, true),
            webhook_capture_unlink_sql(p_model, 'old_rows o', true, v_old_values, v_tracked.capture_limit_bytes, false)),
        webhook_capture_flag(v_function));
    RETURN webhook_point_capture_triggers(v_tracked.table_name, v_table, v_function);
END
$generate$;

-- Chooses the fields whose values the capture records for a tracked model (NULL or {} for
-- none), checks them (stored columns only; never passwords, keys, tokens or binary data),
-- regenerates its capture function, and checks the domains and record fields of its
-- subscribers again, so a field a domain uses cannot stop being captured. All or nothing.
CREATE OR REPLACE FUNCTION webhook_set_captured_fields(p_model text, p_fields text[])
RETURNS text[]
LANGUAGE plpgsql
SET client_min_messages = warning
AS $$
DECLARE
    v_tracked webhook_tracked_model;
    v_fields  text[];
BEGIN
    SELECT * INTO v_tracked FROM webhook_tracked_model WHERE model = p_model AND active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Model "%" is not tracked. Track it first: SELECT webhook_track(''%'');',
            p_model, p_model USING ERRCODE = 'undefined_object';
    END IF;
    v_fields := ARRAY(SELECT DISTINCT f FROM unnest(coalesce(p_fields, '{}')) f ORDER BY f);
    PERFORM webhook_check_fields(p_model, v_tracked.table_name, v_fields, 'a captured field');
    UPDATE webhook_tracked_model SET captured_fields = v_fields WHERE model = p_model;
    PERFORM webhook_generate_capture_function(p_model);
    UPDATE webhook_subscriber SET domain = domain
     WHERE models = ARRAY[p_model] AND (domain IS NOT NULL OR record_fields IS NOT NULL);
    RETURN v_fields;
END
$$;

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
-- Installing a trigger waits for every open transaction on the table, and Odoo's writers would
-- queue behind that wait: give up after a few seconds instead (see the handler below).
SET lock_timeout = '3s'
AS $$
DECLARE
    v_table_name text := coalesce(p_table, webhook_model_table(p_model));
    v_table      regclass;
    v_refused    text;
    v_other      text;
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
    v_refused := webhook_untrackable_reason(v_table);
    IF v_refused IS NOT NULL THEN
        RAISE EXCEPTION 'Cannot track "%": %', p_model, v_refused USING ERRCODE = 'invalid_table_definition';
    END IF;
    SELECT model INTO v_other FROM webhook_tracked_model
     WHERE active AND table_name = v_table_name AND model <> p_model;
    IF FOUND THEN
        RAISE EXCEPTION 'Cannot track "%": its table % is already tracked as model "%". Untrack that one first: SELECT webhook_untrack(''%'');',
            p_model, v_table_name, v_other, v_other USING ERRCODE = 'invalid_table_definition';
    END IF;

    INSERT INTO webhook_tracked_model AS t (model, table_name, active, ignored_columns)
    VALUES (p_model, v_table_name, true, coalesce(p_ignored_columns, '{}'))
    ON CONFLICT (model) DO UPDATE
        SET table_name = EXCLUDED.table_name, active = true,
            ignored_columns = EXCLUDED.ignored_columns, tracked_at = now();

    v_function := webhook_generate_capture_function(p_model);
    PERFORM webhook_install_capture_triggers(v_table_name, v_function);
    -- The least-privilege role reads tracked tables (cleanup): grants follow tracking.
    PERFORM webhook_grant_tracked_table(v_table_name);
    RETURN v_table_name;
EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION 'Could not track "%": its table % is in use by a transaction that has been open for more than 3 seconds (a long Odoo job or an idle session?). Nothing was changed, and Odoo was not kept waiting; try again when Odoo is quieter.',
        p_model, v_table_name USING ERRCODE = 'lock_not_available';
END
$$;

-- Stops capturing a model. Events already captured stay and are still delivered; the model's
-- row stays (inactive) so its settings are kept for a later webhook_track().
CREATE OR REPLACE FUNCTION webhook_untrack(p_model text) RETURNS text
LANGUAGE plpgsql
SET client_min_messages = warning
AS $$
DECLARE
    v_tracked   webhook_tracked_model;
    v_functions oid[];
    v_trigger   text;
BEGIN
    SELECT * INTO v_tracked FROM webhook_tracked_model WHERE model = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Model "%" is not tracked, so there is nothing to untrack. See the tracked models: SELECT model FROM webhook_tracked_model;',
            p_model USING ERRCODE = 'undefined_object';
    END IF;
    -- The functions its triggers call, and those of its name today and before (cut at 63).
    v_functions := ARRAY(SELECT g.tgfoid FROM pg_trigger g
                          WHERE g.tgrelid = to_regclass(quote_ident(v_tracked.table_name))
                            AND g.tgname = ANY (webhook_capture_trigger_names()))
        || coalesce(to_regprocedure(quote_ident(webhook_capture_function_name(v_tracked.table_name)) || '()')::oid, 0)
        || coalesce(to_regprocedure(quote_ident(left('webhook_capture_' || v_tracked.table_name, 63)) || '()')::oid, 0);
    IF to_regclass(quote_ident(v_tracked.table_name)) IS NOT NULL THEN
        FOREACH v_trigger IN ARRAY webhook_capture_trigger_names() LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', v_trigger, v_tracked.table_name);
        END LOOP;
    END IF;
    -- An old-named function another table's triggers still call is kept.
    PERFORM webhook_drop_unused_capture_functions(v_functions);
    UPDATE webhook_tracked_model SET active = false WHERE model = p_model;
    RETURN v_tracked.table_name;
END
$$;

-- Whether the capture triggers of a model are really installed (the addon shows it).
CREATE OR REPLACE FUNCTION webhook_capture_installed(p_model text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT count(*) = cardinality(webhook_capture_trigger_names())
      FROM webhook_tracked_model t
      JOIN pg_trigger g ON g.tgrelid = to_regclass(quote_ident(t.table_name))
     WHERE t.model = p_model
       AND g.tgname = ANY (webhook_capture_trigger_names())
$$;

-- Re-generates the capture functions of all active models, e.g. after an Odoo module upgrade
-- added columns; `migrate` and every sidecar start call it. Replacing a function takes no lock
-- on Odoo's tables (but the first time after an upgrade to the transaction flag: see
-- webhook_generate_capture_function). It is also the upgrade path of databases tracked by an
-- older release: their triggers are re-created once on the new function names (which locks each
-- table for a moment; at most 3 s of waiting, else a WARNING and the next run tries again), and a
-- table that can no longer be tracked (webhook_untrackable_reason) is untracked with a WARNING.
-- Returns the number of models whose capture is current.
CREATE OR REPLACE FUNCTION webhook_refresh_capture() RETURNS integer
LANGUAGE plpgsql
SET lock_timeout = '3s'
AS $$
DECLARE
    v_tracked webhook_tracked_model;
    v_reason  text;
    v_count   integer := 0;
BEGIN
    FOR v_tracked IN SELECT * FROM webhook_tracked_model WHERE active ORDER BY model LOOP
        IF to_regclass(quote_ident(v_tracked.table_name)) IS NOT NULL THEN
            v_reason := webhook_untrackable_reason(to_regclass(quote_ident(v_tracked.table_name)));
            IF v_reason IS NOT NULL THEN
                PERFORM webhook_untrack(v_tracked.model);
                RAISE WARNING 'Untracked "%": %', v_tracked.model, v_reason;
                CONTINUE;
            END IF;
        END IF;
        BEGIN
            PERFORM webhook_generate_capture_function(v_tracked.model);
            v_count := v_count + 1;
        EXCEPTION WHEN lock_not_available THEN
            RAISE WARNING 'The capture triggers of "%" (table %) could not be renewed: a transaction has held the table for more than 3 seconds. Its old capture still runs; run `track %` or restart the sidecar when Odoo is quieter.',
                v_tracked.model, v_tracked.table_name, v_tracked.model;
        END;
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
        RAISE NOTICE 'Not a superuser: the event trigger that keeps capture functions in step with ALTER TABLE was not created. Run `track MODEL` again after Odoo module upgrades, or apply sql/R__webhook_capture.sql once as a superuser (psql -1 -f).';
    END IF;
END
$$;
