-- Odoo webhook sidecar: the installation's identity, so that a copy of the database (a restore,
-- Odoo's "duplicate database", a staging copy) is noticed and never delivers by surprise.
--
-- One row: what identified the database when the schema was first applied here. A copy keeps
-- the row but not the identity: CREATE DATABASE ... TEMPLATE, pg_dump/pg_restore and Odoo's
-- duplicate give the database a new oid, and a restore re-creates this table with a new oid.
-- pg_upgrade keeps both (PostgreSQL 15 and later keep database oids; table oids always) and a
-- failover to a streaming replica keeps everything: neither is a copy. The functions that
-- compare and confirm are in R__webhook_installation.sql.

CREATE TABLE IF NOT EXISTS webhook_installation (
    singleton          boolean     PRIMARY KEY DEFAULT true
                                   CONSTRAINT webhook_installation_one_row_check CHECK (singleton),
    -- pg_control_system().system_identifier of the cluster: changes with pg_upgrade (kept for
    -- the log), so it alone never makes a copy.
    system_identifier  text,
    database_oid       oid         NOT NULL,
    table_oid          oid         NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    -- Set while this database is held as a copy: deliveries wait until webhook_confirm_copy().
    copy_detected_at   timestamptz,
    copy_of            text,
    -- The subscribers the hold paused (resumed by webhook_confirm_copy()).
    held_subscribers   bigint[]    NOT NULL DEFAULT '{}',
    confirmed_at       timestamptz,
    CONSTRAINT webhook_installation_held_check CHECK (copy_detected_at IS NOT NULL OR copy_of IS NULL)
);

COMMENT ON TABLE webhook_installation IS
    'The identity of the database the sidecar was set up on; a copy holds deliveries until confirmed (confirm-copy).';

-- Recorded once, here: the row then travels with every copy of the database.
DO $$
DECLARE
    v_system text;
BEGIN
    BEGIN
        SELECT s.system_identifier::text INTO v_system FROM pg_control_system() s;
    EXCEPTION WHEN insufficient_privilege THEN
        v_system := NULL;
    END;
    INSERT INTO webhook_installation (system_identifier, database_oid, table_oid)
    SELECT v_system, d.oid, 'webhook_installation'::regclass::oid
      FROM pg_database d WHERE d.datname = current_database()
    ON CONFLICT (singleton) DO NOTHING;
END
$$;
