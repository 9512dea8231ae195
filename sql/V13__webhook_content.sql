-- Odoo webhook sidecar: field values in events and deliveries, payload modes and domains.
--
-- Per tracked model, captured_fields lists the columns whose values the capture records: the
-- new values of every captured field (create, write) and the old values of those that changed
-- (write) or of all of them (unlink). A model with no captured field records nothing more than
-- before. Per subscriber, payload says what a delivery carries (ids: ids and changed fields;
-- changes: also old and new values; record: also the record as it is when sent), and domain an
-- Odoo domain over captured fields that an event must match (compiled into domain_path by the
-- trigger of sql/R__webhook_content.sql).

ALTER TABLE webhook_tracked_model
    ADD COLUMN IF NOT EXISTS captured_fields text[] NOT NULL DEFAULT '{}',
    -- An event's values larger than this are replaced by markers, never cut (see
    -- webhook_bounded_values).
    ADD COLUMN IF NOT EXISTS capture_limit_bytes integer NOT NULL DEFAULT 65536;

DO $$
BEGIN
    ALTER TABLE webhook_tracked_model ADD CONSTRAINT webhook_tracked_model_capture_limit_check
        CHECK (capture_limit_bytes BETWEEN 1024 AND 1048576);
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;

-- NULL unless the model captures fields: old_values holds the values before the change (write:
-- the captured fields that changed; unlink: all captured fields), new_values those after it
-- (create, write: all captured fields, so a domain can test fields that did not change).
ALTER TABLE webhook_event
    ADD COLUMN IF NOT EXISTS old_values jsonb,
    ADD COLUMN IF NOT EXISTS new_values jsonb;

ALTER TABLE webhook_event_archive
    ADD COLUMN IF NOT EXISTS old_values jsonb,
    ADD COLUMN IF NOT EXISTS new_values jsonb;

-- The net effect on captured fields of the events merged into a delivery, {field: {old, new}}:
-- old before the first event, new after the last. Kept only for subscribers that send values.
ALTER TABLE webhook_delivery
    ADD COLUMN IF NOT EXISTS changes jsonb;

ALTER TABLE webhook_subscriber
    ADD COLUMN IF NOT EXISTS payload text NOT NULL DEFAULT 'ids',
    -- For payload record: the fields read when sending; NULL means the model's captured fields.
    ADD COLUMN IF NOT EXISTS record_fields text[],
    -- An Odoo domain as written, e.g. [('state', '=', 'sale')]; NULL for none.
    ADD COLUMN IF NOT EXISTS domain text,
    -- The domain compiled by webhook_compile_domain(); set by a trigger, never by hand.
    ADD COLUMN IF NOT EXISTS domain_path jsonpath;

-- The pull API's content per token, opted into: ids (as before), changes, record.
ALTER TABLE webhook_api_token
    ADD COLUMN IF NOT EXISTS content text NOT NULL DEFAULT 'ids';

DO $$
BEGIN
    ALTER TABLE webhook_api_token ADD CONSTRAINT webhook_api_token_content_check
        CHECK (content IN ('ids', 'changes', 'record'));
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;

DO $$
BEGIN
    ALTER TABLE webhook_subscriber ADD CONSTRAINT webhook_subscriber_payload_check
        CHECK (payload IN ('ids', 'changes', 'record'));
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
