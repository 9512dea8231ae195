-- Optional: a least-privilege role for the sidecar, webhook_sidecar. Two people, in this order
-- (docs/dba.md, step 3):
--
-- 1. A role that may create roles (a superuser, e.g. postgres, or one with CREATEROLE) creates
--    the login role, in Odoo's database, after the schema is in place (`migrate`):
--
--        psql -v ON_ERROR_STOP=1 -d odoo -U postgres -f sql/optional/sidecar_role.sql
--        psql -v ON_ERROR_STOP=1 -d odoo -U postgres -c "ALTER ROLE webhook_sidecar PASSWORD 'choose-one'"
--
--    Run by a superuser, this file also grants everything, and step 2 is not needed.
-- 2. The owner of the webhook_* tables (the user that ran `migrate`, usually Odoo's database
--    user) grants:
--
--        psql -v ON_ERROR_STOP=1 -d odoo -U odoo -c "SELECT webhook_grant_sidecar_role()"
--
--    (`migrate` does the same whenever the role exists.)
--
-- Then run the sidecar with WEBHOOK_DB_USER=webhook_sidecar. Nothing needs re-running after
-- tracking models: webhook_track grants SELECT on each table it tracks to webhook_sidecar, and
-- `migrate` renews the grants after upgrades.
--
-- It stops at the first error (psql exits 3) and says what to do: run by a role that may not
-- create roles, nothing is changed.
--
-- What the role may do: read and write the sidecar's own tables, call its functions, and read
-- the tracked tables (the orphan cleanup compares ids). What it may not: create or change
-- tables, install or remove triggers (`migrate`, `track` and `untrack` stay with the owner),
-- or write to any Odoo table. With this role, `run` only checks that the schema is up to date.
-- The grants themselves are one function, webhook_grant_sidecar_role(), in
-- sql/R__webhook_grants.sql.

\set ON_ERROR_STOP on

DO $$
BEGIN
    IF to_regprocedure('webhook_grant_sidecar_role()') IS NULL THEN
        RAISE EXCEPTION 'The webhook sidecar schema is missing or older than this file: run `java -jar odoo-webhook-sidecar.jar migrate` as the owner (Odoo''s database user) first, then this file again.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
            RAISE EXCEPTION 'Role % may not create roles, so webhook_sidecar was not created. Run this file as a superuser (psql -U postgres) or a role with CREATEROLE; the owner then runs SELECT webhook_grant_sidecar_role(); (docs/dba.md, step 3).',
                current_user;
        END IF;
        CREATE ROLE webhook_sidecar LOGIN;
        RAISE NOTICE 'Role webhook_sidecar created (LOGIN, no password yet: ALTER ROLE webhook_sidecar PASSWORD ''...'').';
    END IF;
END
$$;

DO $$
DECLARE
    v_owner name := (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('webhook_event'));
BEGIN
    -- Granting needs the owner of the objects (or a superuser).
    IF NOT pg_has_role(v_owner, 'USAGE') THEN
        RAISE NOTICE 'Role webhook_sidecar exists. Now the owner of the webhook_* tables grants it what it needs: psql -v ON_ERROR_STOP=1 -d % -U % -c "SELECT webhook_grant_sidecar_role()" (or runs `migrate`).',
            current_database(), v_owner;
        RETURN;
    END IF;
    PERFORM webhook_grant_sidecar_role();
    RAISE NOTICE 'Role webhook_sidecar may now run the sidecar in database % (grants follow `track` by themselves).', current_database();
    -- Flyway's history exists only when the schema was applied by `migrate`, not by psql.
    IF to_regclass('webhook_flyway_schema_history') IS NULL THEN
        RAISE WARNING 'webhook_flyway_schema_history is missing (the schema was applied with psql): run the sidecar''s `migrate` once as the owner, or a sidecar running as webhook_sidecar cannot check the schema version.';
    END IF;
END
$$;
