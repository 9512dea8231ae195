-- SPDX-License-Identifier: Apache-2.0
-- Odoo webhook sidecar: the unsent deliveries of a record, found without reading its history.
--
-- The router asks, for every event, whether its record has an unsent delivery (pending, failed,
-- processing or dead) for the subscriber (webhook_route_events), and webhook_merge_event locks
-- those rows. No index covered the four statuses, so both read every delivery of the record
-- through webhook_delivery_record_index, sent ones included: a record written a thousand times
-- kept for retention made each of its events read a thousand rows (issue 22: the cost of a
-- routing pass must not grow with the sent rows). Sent rows never enter this index.
-- Its predicate must stay the router's list of statuses, or the planner cannot use it.

CREATE INDEX IF NOT EXISTS webhook_delivery_unsent_record_index
    ON webhook_delivery (subscriber_id, model, record_id)
    WHERE status IN ('pending', 'failed', 'processing', 'dead');
