-- Odoo webhook sidecar, step: retry schedule.
--
-- When a failed delivery is due again (used by webhook_finish_attempt, R__webhook_finish.sql).
-- With the subscriber defaults: 60 s, 120 s, 240 s, 480 s, 960 s, then dead.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- The delay before retry number p_retry (1-based) of a subscriber: base * factor^(n-1), with
-- +-20% jitter so many deliveries failing together do not retry together.
CREATE OR REPLACE FUNCTION webhook_retry_delay(s webhook_subscriber, p_retry integer)
RETURNS interval
LANGUAGE sql VOLATILE AS $$
    SELECT make_interval(secs => s.backoff_base_ms / 1000.0
                                 * power(s.backoff_factor, greatest(p_retry - 1, 0))
                                 * (0.8 + random() * 0.4))
$$;
