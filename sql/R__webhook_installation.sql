-- Odoo webhook sidecar, step: installation identity (is this the database it was set up on?).
--
-- Every sidecar calls webhook_check_installation() at start. On a copy of the database (a
-- restore, Odoo's duplicate, a staging copy; see V15__webhook_installation.sql) it holds the
-- deliveries: every active subscriber is paused, so events are still routed and wait, and
-- nothing is sent until an admin confirms with webhook_confirm_copy() (`confirm-copy`), which
-- records this database as the installation and resumes the subscribers the hold paused.
-- webhook-ids cannot repeat across copies anyway: they carry the capture time of the first
-- event of the delivery (Delivery.messageId()).
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- What identifies this database now.
CREATE OR REPLACE FUNCTION webhook_installation_here(
    OUT system_identifier text, OUT database_oid oid, OUT table_oid oid)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    BEGIN
        SELECT s.system_identifier::text INTO system_identifier FROM pg_control_system() s;
    EXCEPTION WHEN insufficient_privilege THEN
        system_identifier := NULL;
    END;
    SELECT d.oid INTO database_oid FROM pg_database d WHERE d.datname = current_database();
    table_oid := to_regclass('webhook_installation')::oid;
END
$$;

-- Read-only: 'original' (the database it was set up on), 'held' (a copy: deliveries wait for
-- webhook_confirm_copy()), or 'copy' (a copy no sidecar has started on yet: the first one will
-- hold it). message says it in a sentence, for status, /health and the addon.
CREATE OR REPLACE FUNCTION webhook_installation_status(OUT state text, OUT message text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_row  webhook_installation;
    v_here record;
BEGIN
    SELECT * INTO v_row FROM webhook_installation;
    IF NOT FOUND THEN
        state := 'original';
        message := 'No installation recorded yet; the next sidecar start records this database.';
        RETURN;
    END IF;
    IF v_row.copy_detected_at IS NOT NULL THEN
        state := 'held';
        message := format('This database is a copy (of %s), noticed %s: deliveries are held (subscribers paused) until an admin confirms with `confirm-copy` (SELECT webhook_confirm_copy();).',
                          v_row.copy_of, to_char(v_row.copy_detected_at, 'YYYY-MM-DD HH24:MI:SS TZ'));
        RETURN;
    END IF;
    v_here := webhook_installation_here();
    IF v_here.database_oid = v_row.database_oid AND v_here.table_oid = v_row.table_oid THEN
        state := 'original';
        message := format('The database the sidecar was set up on (recorded %s%s).',
                          to_char(v_row.recorded_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                          CASE WHEN v_row.confirmed_at IS NOT NULL THEN ', a copy confirmed as its own installation' ELSE '' END);
    ELSE
        state := 'copy';
        message := 'This database is a copy of another: the first sidecar to start will hold its deliveries until an admin confirms with `confirm-copy`.';
    END IF;
END
$$;

-- Called by every sidecar at start (SECURITY DEFINER: the least-privilege role may call it).
-- Returns 'recorded' (first time), 'original', 'upgraded' (same database, new cluster: a
-- pg_upgrade; the new system identifier is recorded) or 'held' (a copy: active subscribers
-- that were not paused are paused until webhook_confirm_copy()).
CREATE OR REPLACE FUNCTION webhook_check_installation() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_row  webhook_installation;
    v_here record;
    v_held bigint[];
BEGIN
    v_here := webhook_installation_here();
    SELECT * INTO v_row FROM webhook_installation FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO webhook_installation (system_identifier, database_oid, table_oid)
        VALUES (v_here.system_identifier, v_here.database_oid, v_here.table_oid)
        ON CONFLICT (singleton) DO NOTHING;
        RETURN 'recorded';
    END IF;
    IF v_row.copy_detected_at IS NOT NULL THEN
        RETURN 'held';
    END IF;
    IF v_here.database_oid = v_row.database_oid AND v_here.table_oid = v_row.table_oid THEN
        IF v_here.system_identifier IS DISTINCT FROM v_row.system_identifier THEN
            UPDATE webhook_installation SET system_identifier = v_here.system_identifier;
            RETURN 'upgraded';
        END IF;
        RETURN 'original';
    END IF;
    -- A copy: hold. Paused subscribers are routed but not sent, so nothing is missed.
    WITH paused AS (
        UPDATE webhook_subscriber SET paused = true, updated_at = now()
         WHERE active AND NOT paused
        RETURNING id)
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_held FROM paused;
    UPDATE webhook_installation
       SET copy_detected_at = now(), held_subscribers = v_held,
           copy_of = format('database oid %s in cluster %s', v_row.database_oid,
                            coalesce(v_row.system_identifier, 'unknown'));
    RETURN 'held';
END
$$;

-- An admin's word that this copy may deliver (`confirm-copy`): records this database as the
-- installation and, unless p_resume is false, resumes the subscribers the hold paused (point
-- them at a staging receiver first, or pass false and resume them one by one). Returns how
-- many were resumed, or NULL when the database is not held. Not granted to webhook_sidecar.
-- A copy no sidecar has started on yet is confirmed in advance: it is checked first, as the
-- next sidecar start would (held, its active subscribers paused), then confirmed, so the CLI,
-- psql and the addon all confirm it and no sidecar holds it later; with p_resume it ends with
-- every subscriber as it was, without, the active ones stay paused.
CREATE OR REPLACE FUNCTION webhook_confirm_copy(p_resume boolean DEFAULT true) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_row     webhook_installation;
    v_here    record;
    v_resumed integer := 0;
BEGIN
    PERFORM webhook_check_installation();
    SELECT * INTO v_row FROM webhook_installation FOR UPDATE;
    IF NOT FOUND OR v_row.copy_detected_at IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_resume THEN
        UPDATE webhook_subscriber SET paused = false, updated_at = now()
         WHERE id = ANY (v_row.held_subscribers) AND paused;
        GET DIAGNOSTICS v_resumed = ROW_COUNT;
    END IF;
    v_here := webhook_installation_here();
    UPDATE webhook_installation
       SET system_identifier = v_here.system_identifier, database_oid = v_here.database_oid,
           table_oid = v_here.table_oid, recorded_at = now(), confirmed_at = now(),
           copy_detected_at = NULL, copy_of = NULL, held_subscribers = '{}';
    RETURN v_resumed;
END
$$;
