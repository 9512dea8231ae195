-- SPDX-License-Identifier: Apache-2.0
-- Odoo webhook sidecar: webhook_event without CHECK constraints.
--
-- Capture inserts into webhook_event from a trigger, inside Odoo's transaction, and each trigger
-- call is a new executor, which parses and prepares every CHECK constraint of the table again
-- from its stored text: for the two below, about a tenth of what our capture of a 1-row UPDATE
-- cost its backend (instructions counted with valgrind: bench/results/2026-12-07-capture). The
-- rules they checked stay, each kept by the one place that writes the columns:
--   event IN ('create', 'write', 'unlink')             the generated capture functions
--                                                      (R__webhook_capture.sql), which write
--                                                      only these three constants;
--   routed_at and delivery_count both set or both NULL the router (R__webhook_route.sql), which
--                                                      sets both in one UPDATE.

ALTER TABLE webhook_event DROP CONSTRAINT IF EXISTS webhook_event_event_check;
ALTER TABLE webhook_event DROP CONSTRAINT IF EXISTS webhook_event_routed_check;
