-- Odoo webhook sidecar, step: grants for the least-privilege role.
--
-- The one place that says what the optional role webhook_sidecar may do: read and write the
-- sidecar's own tables, call its functions, and read the tracked tables (the orphan cleanup
-- compares ids). Not: create or change tables, install or remove triggers (migrate, track and
-- untrack stay with the owner), or write to any Odoo table.
-- sql/optional/sidecar_role.sql creates the role and calls this function; `migrate` calls it
-- after applying the files whenever the role exists, so grants follow new tables and functions.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- Grants webhook_sidecar what it needs, if the role exists (returns false when it does not).
-- Run it as the owner of the webhook_* tables (the user that ran `migrate`), and again after
-- tracking new models: it grants SELECT on every tracked table that exists.
CREATE OR REPLACE FUNCTION webhook_grant_sidecar_role()
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_name text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        RETURN false;
    END IF;
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
    -- The recorded installation identity (status, /health); webhook_check_installation() is
    -- SECURITY DEFINER and holds deliveries on a copy without more rights.
    GRANT SELECT ON webhook_installation TO webhook_sidecar;
    -- Flyway's history exists only when the schema was applied by `migrate`, not by psql; the
    -- sidecar reads it to check that the schema is up to date.
    IF to_regclass('webhook_flyway_schema_history') IS NOT NULL THEN
        GRANT SELECT ON webhook_flyway_schema_history TO webhook_sidecar;
    END IF;

    FOR v_name IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'S' AND c.relname LIKE 'webhook\_%'
    LOOP
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO webhook_sidecar', v_name);
    END LOOP;

    -- Every function but those that manage triggers (and this one, which is the owner's).
    -- regprocedure's text is already quoted where needed, hence %s.
    FOR v_name IN
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.proname LIKE 'webhook\_%'
           AND p.proname NOT IN ('webhook_track', 'webhook_untrack', 'webhook_generate_capture_function',
                                 'webhook_refresh_capture', 'webhook_grant_sidecar_role',
                                 'webhook_install_capture_triggers', 'webhook_point_capture_triggers',
                                 'webhook_drop_unused_capture_functions', 'webhook_grant_tracked_table',
                                 'webhook_confirm_copy')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO webhook_sidecar', v_name);
    END LOOP;

    -- The tracked tables, read-only, for the orphan cleanup.
    FOR v_name IN SELECT table_name FROM webhook_tracked_model WHERE to_regclass(quote_ident(table_name)) IS NOT NULL
    LOOP
        EXECUTE format('GRANT SELECT ON %I TO webhook_sidecar', v_name);
    END LOOP;
    RETURN true;
END
$$;

-- Called by webhook_track: grants webhook_sidecar read access to a newly tracked table, so
-- that grants follow tracking without re-running sql/optional/sidecar_role.sql. Nothing when
-- the role does not exist; a WARNING (tracking still succeeds) when the caller may not grant.
CREATE OR REPLACE FUNCTION webhook_grant_tracked_table(p_table text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        RETURN false;
    END IF;
    EXECUTE format('GRANT SELECT ON %I TO webhook_sidecar', p_table);
    RETURN true;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'Tracked, but role webhook_sidecar could not be granted SELECT on % (%): run SELECT webhook_grant_sidecar_role(); as the owner of %, or the sidecar''s cleanup cannot read it.',
        p_table, SQLERRM, p_table;
    RETURN false;
END
$$;
