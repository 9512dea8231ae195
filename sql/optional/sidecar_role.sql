-- Optional: a least-privilege role for the sidecar. Run it as the owner of the webhook_* tables
-- (the user that ran `migrate`, usually Odoo's database user), in Odoo's database:
--
--     psql -d odoo -f sql/optional/sidecar_role.sql
--     psql -d odoo -c "ALTER ROLE webhook_sidecar PASSWORD 'choose-one'"
--
-- then run the sidecar with WEBHOOK_DB_USER=webhook_sidecar. Run this file again after tracking
-- new models (it grants SELECT on every tracked table) and after upgrading the sidecar.
--
-- What the role may do: read and write the sidecar's own tables, call its functions, and read
-- the tracked tables (the orphan cleanup compares ids). What it may not: create or change
-- tables, install or remove triggers (`migrate`, `track` and `untrack` stay with the owner),
-- or write to any Odoo table. With this role, `run` only checks that the schema is up to date.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        CREATE ROLE webhook_sidecar LOGIN;
    END IF;
END
$$;

DO $$
DECLARE
    v_name text;
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO webhook_sidecar', current_database());
    GRANT USAGE ON SCHEMA public TO webhook_sidecar;

    -- Its own tables: the pipeline.
    GRANT SELECT, INSERT, UPDATE, DELETE
        ON webhook_event, webhook_delivery, webhook_attempt, webhook_sidecar_instance, webhook_job_run
        TO webhook_sidecar;
    -- The pull API's devices, tokens (last use is recorded) and the archive.
    GRANT SELECT, INSERT, UPDATE, DELETE
        ON webhook_device, webhook_api_token, webhook_event_archive, webhook_pull_horizon
        TO webhook_sidecar;
    -- Configuration is read; subscribers and app profiles are managed by the addon or the owner.
    GRANT SELECT ON webhook_tracked_model, webhook_subscriber, webhook_app_profile TO webhook_sidecar;
    -- Flyway's history exists only when the schema was applied by `migrate`, not by psql.
    IF to_regclass('webhook_flyway_schema_history') IS NOT NULL THEN
        GRANT SELECT ON webhook_flyway_schema_history TO webhook_sidecar;
    ELSE
        RAISE WARNING 'webhook_flyway_schema_history is missing (the schema was applied with psql): run the sidecar''s `migrate` once as the owner, then this script again, or a sidecar running as webhook_sidecar cannot check the schema version.';
    END IF;

    FOR v_name IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'S' AND c.relname LIKE 'webhook\_%'
    LOOP
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO webhook_sidecar', v_name);
    END LOOP;

    FOR v_name IN
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.proname LIKE 'webhook\_%'
           AND p.proname NOT IN ('webhook_track', 'webhook_untrack', 'webhook_generate_capture_function',
                                 'webhook_refresh_capture')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO webhook_sidecar', v_name);
    END LOOP;

    -- The tracked tables, read-only, for the orphan cleanup.
    FOR v_name IN SELECT table_name FROM webhook_tracked_model WHERE to_regclass(quote_ident(table_name)) IS NOT NULL
    LOOP
        EXECUTE format('GRANT SELECT ON %I TO webhook_sidecar', v_name);
    END LOOP;
END
$$;
