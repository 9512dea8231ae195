-- Optional: a least-privilege role for the sidecar. Run it as the owner of the webhook_* tables
-- (the user that ran `migrate`, usually Odoo's database user), in Odoo's database, after the
-- schema is in place (`migrate`, or sql/install.sql):
--
--     psql -d odoo -f sql/optional/sidecar_role.sql
--     psql -d odoo -c "ALTER ROLE webhook_sidecar PASSWORD 'choose-one'"
--
-- then run the sidecar with WEBHOOK_DB_USER=webhook_sidecar. Run this file again after tracking
-- new models (it grants SELECT on every tracked table). Upgrades need nothing more: once the
-- role exists, `migrate` renews its grants after applying new files.
--
-- What the role may do: read and write the sidecar's own tables, call its functions, and read
-- the tracked tables (the orphan cleanup compares ids). What it may not: create or change
-- tables, install or remove triggers (`migrate`, `track` and `untrack` stay with the owner),
-- or write to any Odoo table. With this role, `run` only checks that the schema is up to date.
-- The grants themselves are one function, webhook_grant_sidecar_role(), in
-- sql/R__webhook_grants.sql.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        CREATE ROLE webhook_sidecar LOGIN;
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regprocedure('webhook_grant_sidecar_role()') IS NULL THEN
        RAISE EXCEPTION 'The webhook sidecar schema is missing or older than this file: run `java -jar odoo-webhook-sidecar.jar migrate` (or psql -f sql/install.sql) first, then this file again.';
    END IF;
    PERFORM webhook_grant_sidecar_role();
    -- Flyway's history exists only when the schema was applied by `migrate`, not by psql.
    IF to_regclass('webhook_flyway_schema_history') IS NULL THEN
        RAISE WARNING 'webhook_flyway_schema_history is missing (the schema was applied with psql): run the sidecar''s `migrate` once as the owner, then this script again, or a sidecar running as webhook_sidecar cannot check the schema version.';
    END IF;
END
$$;
