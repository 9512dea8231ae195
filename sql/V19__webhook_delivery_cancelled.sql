-- Odoo webhook sidecar: cancelled deliveries (issue 21). An admin who has looked at a dead
-- delivery and decided it needs no re-send cancels it: it is kept (with its attempts, for the
-- record) but no longer counted as a problem. Only dead deliveries can be cancelled
-- (webhook_cancel_delivery in R__webhook_replay.sql); a cancelled one can be replayed like a
-- dead one, and is purged by retention like a dead one.
--
-- Statuses: pending -> processing -> sent | failed -> ... -> dead -> cancelled.

-- When and by whom (an Odoo login, or the database user of the CLI or psql): a cancellation is
-- a person's decision, and the next person looking at it should see whose.
ALTER TABLE webhook_delivery ADD COLUMN IF NOT EXISTS cancelled_at timestamptz;
ALTER TABLE webhook_delivery ADD COLUMN IF NOT EXISTS cancelled_by text;

-- NOT VALID as in V14: every existing row already satisfies the wider set, so there is nothing
-- to check, and no scan of the delivery history while the table is locked.
ALTER TABLE webhook_delivery DROP CONSTRAINT IF EXISTS webhook_delivery_status_check;
ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_status_check
    CHECK (status IN ('pending', 'processing', 'sent', 'failed', 'dead', 'cancelled')) NOT VALID;

-- A cancelled delivery carries its time of cancellation; nothing else does (a replay clears it).
ALTER TABLE webhook_delivery DROP CONSTRAINT IF EXISTS webhook_delivery_cancelled_at_check;
ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_cancelled_at_check
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)) NOT VALID;
