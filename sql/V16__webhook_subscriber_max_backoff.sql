-- Odoo webhook sidecar: a cap on the retry delay of each subscriber.
--
-- Retry n waits backoff_base_ms * backoff_factor^(n-1), with jitter, but never longer than
-- max_backoff_ms (default one day): without a cap, a steep factor and many retries overflowed
-- the timestamp and the delivery never reached dead (R__webhook_retry_schedule.sql). At most
-- 30 days, so that now() + the cap is always a valid timestamp and a dead letter is never
-- later than its retention.

ALTER TABLE webhook_subscriber ADD COLUMN IF NOT EXISTS max_backoff_ms bigint NOT NULL DEFAULT 86400000;

DO $$
BEGIN
    ALTER TABLE webhook_subscriber ADD CONSTRAINT webhook_subscriber_max_backoff_check
        CHECK (max_backoff_ms BETWEEN 10 AND 2592000000);
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
