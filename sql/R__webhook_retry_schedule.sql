-- Odoo webhook sidecar, step: retry schedule.
--
-- When a failed delivery is due again (used by webhook_finish_attempt, R__webhook_finish.sql).
-- With the subscriber defaults: 60 s, 120 s, 240 s, 480 s, 960 s, then dead; never more than
-- max_backoff_ms (default 1 day) per wait.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- The delay before retry number p_retry (1-based) of a subscriber: base * factor^(n-1), with
-- +-20% jitter so many deliveries failing together do not retry together, and never more than
-- the subscriber's max_backoff_ms (V16). Past the cap the delay is the cap less up to 20%, so
-- capped retries are spread out too.
--
-- The exponent is compared in logarithms first: factor^(n-1) is computed only while it stays
-- within twice the cap, so no accepted factor or retry count overflows (10^99 seconds made
-- make_interval fail, the attempt was never recorded, and the delivery cycled for ever).
CREATE OR REPLACE FUNCTION webhook_retry_delay(s webhook_subscriber, p_retry integer)
RETURNS interval
LANGUAGE sql VOLATILE AS $$
    SELECT make_interval(secs => least(
               CASE WHEN greatest(p_retry - 1, 0) * ln(s.backoff_factor)
                         <= ln(2.0 * s.max_backoff_ms / s.backoff_base_ms)
                    THEN s.backoff_base_ms * power(s.backoff_factor, greatest(p_retry - 1, 0))
                         * (0.8 + random() * 0.4)
                    ELSE s.max_backoff_ms END,
               s.max_backoff_ms * (0.8 + random() * 0.2)) / 1000.0)
$$;

-- The longest a failed delivery of subscriber s waits for its next attempt: its cap. A
-- receiver's Retry-After is honoured up to this too.
CREATE OR REPLACE FUNCTION webhook_max_retry_delay(s webhook_subscriber)
RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
    SELECT make_interval(secs => s.max_backoff_ms / 1000.0)
$$;
