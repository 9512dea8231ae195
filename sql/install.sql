-- Odoo webhook sidecar: the whole schema with psql, for a DBA who does not run `migrate`.
--
--     psql -v ON_ERROR_STOP=1 -d odoo -f sql/install.sql
--
-- Run it as the owner of Odoo's tables (Odoo's database user; a superuser also gets the event
-- trigger of R__webhook_capture.sql), from any directory: \ir finds the files next to this one.
-- It applies the versioned file, then every repeatable file in Flyway's order, in one
-- transaction: all or nothing. Every file is re-runnable, so running it again is safe.
--
-- `java -jar odoo-webhook-sidecar.jar migrate` is still recommended: it applies the same files
-- and records them in webhook_flyway_schema_history, which a sidecar running as the
-- least-privilege role needs to check the schema version. Running `migrate` once after this
-- script records them. SchemaUpgradeTest checks that this list is exactly the files of sql/.

\set ON_ERROR_STOP on
BEGIN;

\ir V11__webhook_tables.sql
\ir V12__webhook_subscriber_pause.sql
\ir V13__webhook_content.sql
\ir V14__webhook_error_type_check.sql
\ir V17__webhook_operations.sql
\ir V18__webhook_broker_destinations.sql

\ir R__webhook_capture.sql
\ir R__webhook_claim.sql
\ir R__webhook_cleanup.sql
\ir R__webhook_content.sql
\ir R__webhook_domain.sql
\ir R__webhook_finish.sql
\ir R__webhook_grants.sql
\ir R__webhook_operations.sql
\ir R__webhook_recover.sql
\ir R__webhook_replay.sql
\ir R__webhook_retry_schedule.sql
\ir R__webhook_route.sql
\ir R__webhook_statistics.sql
\ir R__webhook_wakeup.sql

-- What `migrate` does after the files: grants for the optional role, if it exists.
SELECT webhook_grant_sidecar_role();

COMMIT;
