-- A paused subscriber: its events are still routed and wait as pending deliveries, but no
-- sidecar claims them until it is resumed (`subscriber pause NAME` / `subscriber resume NAME`).
-- This differs from active = false, which is not routed at all: events that happen while a
-- subscriber is inactive are never delivered to it, while a paused one gets them all later.
ALTER TABLE webhook_subscriber ADD COLUMN IF NOT EXISTS paused boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN webhook_subscriber.paused IS
    'Routed but not sent: deliveries wait until resumed. Unlike active = false, nothing is missed.';
