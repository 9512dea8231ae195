-- SPDX-License-Identifier: Apache-2.0
-- Odoo webhook sidecar: the fields a subscriber's domain names.
--
-- A write used to record the new value of every captured field, changed or not, so that a domain
-- could test a field the write did not change; a model capturing twenty fields wrote twenty
-- values into the event of every write, in Odoo's transaction. Now a write records the captured
-- fields that changed, and also, changed or not, the fields some subscriber's domain names:
-- the capture function of a model is generated with the domain fields of its subscribers
-- (R__webhook_capture.sql), and the router reads from the record any domain field an event
-- captured before that domain was saved does not carry (R__webhook_route.sql). Set with the
-- domain when a subscriber is saved (R__webhook_content.sql, which also fills it for the
-- subscribers saved before this column existed).

ALTER TABLE webhook_subscriber ADD COLUMN IF NOT EXISTS domain_fields text[];
