-- SPDX-License-Identifier: Apache-2.0
-- Odoo webhook sidecar: test deliveries marked by a column instead of by their model.
--
-- Until now a test delivery (webhook_send_test_event, R__webhook_replay.sql) stored the model
-- 'webhook.test' (the fixed test event) or 'webhook.test:<model>' (a real record's body), so the
-- lists showed a model that does not exist and every reader had to decode it. Now the model is
-- the real one and test = true says it is a test. The fixed test event keeps model
-- 'webhook.test' (it has no real record).

ALTER TABLE webhook_delivery ADD COLUMN IF NOT EXISTS test boolean NOT NULL DEFAULT false;

UPDATE webhook_delivery
   SET test = true,
       model = CASE WHEN model LIKE 'webhook.test:%' THEN substr(model, length('webhook.test:') + 1)
                    ELSE model END
 WHERE model = 'webhook.test' OR model LIKE 'webhook.test:%';

-- The mark kept a test apart from the real deliveries of its record, because the model was part
-- of every per-record index key. test takes that place in the key: a test is never the open or
-- in-flight delivery of a real record (the router never merges into it, it never holds back a
-- real delivery), and tests of one record keep their own one-open, one-in-flight rule. Queries
-- name test = false (NOT test) or test = d.test, which the planner matches on the key column.
DROP INDEX IF EXISTS webhook_delivery_one_open_per_record_index;
CREATE UNIQUE INDEX webhook_delivery_one_open_per_record_index
    ON webhook_delivery (subscriber_id, model, record_id, test) WHERE status IN ('pending', 'failed');

DROP INDEX IF EXISTS webhook_delivery_one_in_flight_per_record_index;
CREATE UNIQUE INDEX webhook_delivery_one_in_flight_per_record_index
    ON webhook_delivery (subscriber_id, model, record_id, test) WHERE status = 'processing';

-- V20's index of the router: it asks only about real deliveries (NOT test). Its predicate must
-- stay the router's list of statuses.
DROP INDEX IF EXISTS webhook_delivery_unsent_record_index;
CREATE INDEX webhook_delivery_unsent_record_index
    ON webhook_delivery (subscriber_id, model, record_id, test)
    WHERE status IN ('pending', 'failed', 'processing', 'dead', 'cancelled');
