-- webhook_sidecar: database neutralization. Odoo runs every installed module's
-- data/neutralize.sql for `odoo-bin neutralize` and when a duplicate is made with
-- "Neutralize" ticked, so that a copy of production (staging, a test restore) never calls
-- production's receivers or serves production's pull API clients.
--
-- * every subscriber is deactivated: a neutralized copy routes nothing to it (what happens there
--   is not news for production's receivers); reactivate one after pointing it elsewhere;
-- * every pull API token is revoked: apps holding production's tokens get 401 here.
--
-- The sidecar notices a copy by itself as well (webhook_installation) and holds deliveries
-- until `confirm-copy`; this file is what a neutralized copy needs even before a sidecar runs.
-- Plain statements (Odoo executes the file as is); the tables belong to the sidecar's schema,
-- which the module requires.

UPDATE webhook_subscriber
   SET active = false, updated_at = now()
 WHERE active;

UPDATE webhook_api_token
   SET revoked_at = now()
 WHERE revoked_at IS NULL;
