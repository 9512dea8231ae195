-- Odoo webhook sidecar: the error types of attempts and deliveries, as a fixed list.
--
-- The same values as the sidecar's ErrorType enum (a test ties the two together). NOT VALID:
-- the rule holds for every new row at once without scanning a long attempt history (every
-- value written before is on the list anyway).

DO $$
BEGIN
    ALTER TABLE webhook_attempt ADD CONSTRAINT webhook_attempt_error_type_check
        CHECK (error_type IN ('timeout', 'connection', 'http_error', 'rate_limited', 'gone',
                              'invalid_url', 'blocked_target', 'payload_too_large',
                              'record_unreadable', 'internal', 'interrupted', 'lease_expired'))
        NOT VALID;
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;

DO $$
BEGIN
    ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_last_error_type_check
        CHECK (last_error_type IN ('timeout', 'connection', 'http_error', 'rate_limited', 'gone',
                                   'invalid_url', 'blocked_target', 'payload_too_large',
                                   'record_unreadable', 'internal', 'interrupted', 'lease_expired'))
        NOT VALID;
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
