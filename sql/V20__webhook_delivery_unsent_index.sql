-- SPDX-License-Identifier: Apache-2.0
-- Odoo webhook sidecar: the unsent deliveries of a record, found without reading its history.
--
-- The router asks, for every event, whether its record has an unsent delivery (pending, failed,
-- processing, dead or cancelled) for the subscriber (webhook_route_events), and webhook_merge_event locks
-- those rows. No index covered those statuses, so both read every delivery of the record
-- through webhook_delivery_record_index, sent ones included: a record written a thousand times
-- kept for retention made each of its events read a thousand rows (issue 22: the cost of a
-- routing pass must not grow with the sent rows). Sent rows never enter this index.
-- Its predicate must stay the router's list of statuses, or the planner cannot use it.

CREATE INDEX IF NOT EXISTS webhook_delivery_unsent_record_index
    ON webhook_delivery (subscriber_id, model, record_id)
    WHERE status IN ('pending', 'failed', 'processing', 'dead', 'cancelled');

-- The claim asks, for each candidate, whether its record has a delivery in flight
-- (status = 'processing'): webhook_delivery_one_in_flight_per_record_index answers that in one
-- lookup. But the lease index had the same predicate and a smaller key, and after a quiet
-- moment (analyzed with nothing in flight) the planner chose to read all of it, dead entries of
-- every delivery sent since the last vacuum included, once per candidate (measured 14,499
-- buffers per claim, bench/backlog-cost.sh). locked_until IS NOT NULL holds for every row in
-- flight (webhook_delivery_lease_check), so the index holds the same rows; lease recovery
-- (locked_until < now()) still uses it, and a test of the status alone no longer can.
DROP INDEX IF EXISTS webhook_delivery_lease_index;
CREATE INDEX webhook_delivery_lease_index
    ON webhook_delivery (locked_until) WHERE status = 'processing' AND locked_until IS NOT NULL;
