-- Odoo webhook sidecar, step: content (what a delivery carries: values, changes, the record).
--
-- The rules of content live here: which columns may leave the database, how an event's values
-- become {field: {old, new}}, how merged events keep the net effect, how large values are bounded,
-- how the record is read at send time, and the checks a subscriber's payload settings and domain
-- get when it is saved (by the CLI, psql or the addon alike).
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- Why a column of a tracked model cannot be captured or sent, or NULL when it can. Passwords,
-- keys, tokens and secrets never leave the database, nor binary data.
CREATE OR REPLACE FUNCTION webhook_field_problem(p_model text, p_table text, p_field text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_type   regtype;
    v_binary boolean := false;
BEGIN
    IF p_field IS NULL OR p_field !~ '^[a-z_][a-z0-9_]*$' THEN
        RETURN format('"%s" is not a field name', p_field);
    END IF;
    IF p_field ~ '(^|_)(password|passwd|pwd|secret|secrets|token|tokens|api_?key|apikey|totp|otp|private_key|credential|credentials)(_|$)' THEN
        RETURN format('%s may hold a password, a key or a token: such fields never leave the database', p_field);
    END IF;
    SELECT a.atttypid::regtype INTO v_type
      FROM pg_attribute a
     WHERE a.attrelid = to_regclass(quote_ident(p_table)) AND a.attname = p_field
       AND a.attnum > 0 AND NOT a.attisdropped;
    IF v_type IS NULL THEN
        RETURN format('%s is not a stored field of %s (fields that are computed and not stored, and binary fields kept as attachments, have no column)',
                      p_field, p_model);
    END IF;
    IF to_regclass('ir_model_fields') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM ir_model_fields WHERE model = $1 AND name = $2 AND ttype = ''binary'')'
           INTO v_binary USING p_model, p_field;
    END IF;
    IF v_binary OR v_type = 'bytea'::regtype THEN
        RETURN format('%s holds binary data (files, images): such fields are not sent', p_field);
    END IF;
    RETURN NULL;
END
$$;

-- Raises the first problem of a list of fields, saying what the list was for.
CREATE OR REPLACE FUNCTION webhook_check_fields(p_model text, p_table text, p_fields text[], p_what text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f         text;
    v_problem text;
BEGIN
    FOREACH f IN ARRAY coalesce(p_fields, '{}') LOOP
        v_problem := webhook_field_problem(p_model, p_table, f);
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION 'Cannot use % as %: %.', f, p_what, v_problem
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
END
$$;

-- An SQL expression that builds the JSON object {field: alias.field, ...} of p_fields, in
-- pieces of 50 (jsonb_build_object takes at most 100 arguments). Identifiers quoted with %I.
CREATE OR REPLACE FUNCTION webhook_values_expression(p_fields text[], p_alias text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(piece, ' || ' ORDER BY chunk), '''{}''::jsonb')
      FROM (SELECT (n - 1) / 50 AS chunk,
                   'jsonb_build_object(' || string_agg(format('%L, %I.%I', f, p_alias, f), ', ' ORDER BY n) || ')' AS piece
              FROM unnest(p_fields) WITH ORDINALITY AS u(f, n)
             GROUP BY (n - 1) / 50) pieces
$$;

-- An event's captured values bounded to p_limit bytes: the largest values are replaced, one by
-- one, by a marker {"webhook_oversized": true, "bytes": N} until the rest fits. Never a cut
-- value. The capture calls it only for values above the limit (pg_column_size), so the common
-- case costs one size test.
CREATE OR REPLACE FUNCTION webhook_bounded_values(p_values jsonb, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_result jsonb := p_values;
    v_size   integer;
    r        record;
BEGIN
    IF p_values IS NULL THEN
        RETURN NULL;
    END IF;
    v_size := octet_length(p_values::text);
    FOR r IN SELECT key, octet_length(value::text) AS bytes FROM jsonb_each(p_values) ORDER BY 2 DESC, 1 LOOP
        EXIT WHEN v_size <= p_limit;
        v_result := jsonb_set(v_result, ARRAY[r.key], jsonb_build_object('webhook_oversized', true, 'bytes', r.bytes));
        v_size := octet_length(v_result::text);
    END LOOP;
    RETURN v_result;
END
$$;

-- One event's effect on captured fields, {field: {"old": ..., "new": ...}}: a create's new
-- values, a write's changed fields, an unlink's last values. NULL when nothing was captured.
CREATE OR REPLACE FUNCTION webhook_event_changes(p_event text, p_old jsonb, p_new jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_old IS NULL AND p_new IS NULL THEN NULL
        WHEN p_event = 'create' THEN
            coalesce((SELECT jsonb_object_agg(k, jsonb_build_object('old', NULL, 'new', v))
                        FROM jsonb_each(p_new) e(k, v)), '{}')
        WHEN p_event = 'unlink' THEN
            coalesce((SELECT jsonb_object_agg(k, jsonb_build_object('old', v, 'new', NULL))
                        FROM jsonb_each(p_old) e(k, v)), '{}')
        ELSE
            coalesce((SELECT jsonb_object_agg(k, jsonb_build_object('old', v, 'new', p_new -> k))
                        FROM jsonb_each(coalesce(p_old, '{}')) e(k, v)), '{}')
    END
$$;

-- The net effect of two merged changes: for each field, the old value before the older and the
-- new value after the newer.
CREATE OR REPLACE FUNCTION webhook_net_changes(p_older jsonb, p_newer jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_older IS NULL THEN p_newer
        WHEN p_newer IS NULL THEN p_older
        ELSE (SELECT coalesce(jsonb_object_agg(k, jsonb_build_object(
                      'old', CASE WHEN p_older ? k THEN p_older -> k -> 'old' ELSE p_newer -> k -> 'old' END,
                      'new', CASE WHEN p_newer ? k THEN p_newer -> k -> 'new' ELSE p_older -> k -> 'new' END)), '{}')
                FROM (SELECT jsonb_object_keys(p_older) UNION SELECT jsonb_object_keys(p_newer)) keys(k))
    END
$$;

-- The records p_ids of a tracked model as they are now: {field: value} of p_fields (NULL: the
-- model's captured fields). Read when a delivery of payload 'record' is sent, and by the
-- addon's preview. Records that no longer exist are simply not returned.
CREATE OR REPLACE FUNCTION webhook_read_records(p_model text, p_fields text[], p_ids bigint[])
RETURNS TABLE (record_id bigint, record jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_tracked webhook_tracked_model;
    v_fields  text[];
BEGIN
    SELECT * INTO v_tracked FROM webhook_tracked_model WHERE model = p_model;
    IF NOT FOUND OR to_regclass(quote_ident(v_tracked.table_name)) IS NULL THEN
        RETURN;
    END IF;
    v_fields := coalesce(p_fields, v_tracked.captured_fields);
    PERFORM webhook_check_fields(p_model, v_tracked.table_name, v_fields, 'a record field');
    RETURN QUERY EXECUTE format('SELECT t.id::bigint, %s FROM %I t WHERE t.id = ANY ($1)',
                                webhook_values_expression(v_fields, 't'), v_tracked.table_name)
                 USING p_ids;
END
$$;

-- A subscriber's content settings, checked and compiled when it is saved: its domain (over the
-- captured fields of its one model) into domain_path, and its record fields. Errors name the
-- subscriber and the part to change.
CREATE OR REPLACE FUNCTION webhook_subscriber_check_content()
RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_tracked webhook_tracked_model;
BEGIN
    NEW.domain := CASE WHEN btrim(NEW.domain) IN ('', '[]') THEN NULL ELSE NEW.domain END;
    NEW.domain_path := NULL;
    NEW.domain_fields := NULL;
    IF NEW.domain IS NULL AND NEW.record_fields IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.models IS NULL OR cardinality(NEW.models) <> 1 THEN
        RAISE EXCEPTION 'Subscriber "%": a domain or record fields need exactly one model (e.g. --models sale.order), because they name that model''s fields.',
            NEW.name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_tracked FROM webhook_tracked_model WHERE model = NEW.models[1];
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Subscriber "%": model % is not tracked. Track it first, capturing the fields the domain uses.',
            NEW.name, NEW.models[1] USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        NEW.domain_path := webhook_compile_domain(NEW.domain, v_tracked.captured_fields);
        NEW.domain_fields := webhook_domain_fields(NEW.domain, v_tracked.captured_fields);
        PERFORM webhook_check_fields(NEW.models[1], v_tracked.table_name, NEW.record_fields, 'a record field');
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'Subscriber "%": %', NEW.name, SQLERRM USING ERRCODE = SQLSTATE;
    END;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS webhook_subscriber_check_content ON webhook_subscriber;
CREATE TRIGGER webhook_subscriber_check_content
    BEFORE INSERT OR UPDATE ON webhook_subscriber
    FOR EACH ROW EXECUTE FUNCTION webhook_subscriber_check_content();

-- A write records the new values of the fields its model's domains name, changed or not
-- (webhook_generate_capture_function): when those change, the capture function of the model is
-- generated again, in the same transaction. Replacing a function takes no lock on Odoo's table.
-- SECURITY DEFINER: whoever saves a subscriber (the CLI's user, the addon's) may not own the
-- capture function; its owner, who installed this file, replaces it.
CREATE OR REPLACE FUNCTION webhook_subscriber_follow_domain_fields()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_model text;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.domain_fields IS NOT DISTINCT FROM NEW.domain_fields
       AND OLD.models IS NOT DISTINCT FROM NEW.models THEN
        RETURN NULL;
    END IF;
    FOR v_model IN
        SELECT DISTINCT m FROM unnest(
            CASE WHEN TG_OP <> 'INSERT' AND OLD.domain_fields IS NOT NULL THEN OLD.models END
            || CASE WHEN TG_OP <> 'DELETE' AND NEW.domain_fields IS NOT NULL THEN NEW.models END) m
         WHERE EXISTS (SELECT 1 FROM webhook_tracked_model t
                        WHERE t.model = m AND t.active AND cardinality(t.captured_fields) > 0)
    LOOP
        PERFORM webhook_generate_capture_function(v_model);
    END LOOP;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS webhook_subscriber_follow_domain_fields ON webhook_subscriber;
CREATE TRIGGER webhook_subscriber_follow_domain_fields
    AFTER INSERT OR UPDATE OR DELETE ON webhook_subscriber
    FOR EACH ROW EXECUTE FUNCTION webhook_subscriber_follow_domain_fields();

-- Subscribers saved before domain_fields existed (V22): their domains' fields, and with them
-- their models' capture functions.
UPDATE webhook_subscriber SET domain = domain WHERE domain IS NOT NULL AND domain_fields IS NULL;

-- The body a delivery carries, as the sidecar renders it (delivery/Payload.java; a test holds
-- the two together), for the addon's delivery form and preview. For payload record, data.record
-- is read now (the sidecar reads it when it sends); for an unlink, the values the record had when
-- it was deleted; a test delivery (R__webhook_replay.sql) names its real model and carries
-- data.test = true. Key order differs from the bytes sent (jsonb sorts keys); the content does not.
CREATE OR REPLACE FUNCTION webhook_delivery_body(p_delivery_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d      webhook_delivery;
    s      webhook_subscriber;
    v_data jsonb;
    v_test boolean;
BEGIN
    SELECT * INTO d FROM webhook_delivery WHERE id = p_delivery_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Delivery % does not exist.', p_delivery_id USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO s FROM webhook_subscriber WHERE id = d.subscriber_id;
    v_test := d.test;
    v_data := jsonb_build_object(
        'model', d.model, 'record_id', d.record_id, 'event', d.event,
        'changed_fields', to_jsonb(d.changed_fields),
        'coalesced_count', d.coalesced_count,
        'occurred_at', d.last_captured_at, 'first_occurred_at', d.first_captured_at,
        'delivery_id', d.id, 'first_event_id', d.first_event_id, 'last_event_id', d.last_event_id);
    IF v_test THEN
        v_data := v_data || jsonb_build_object('test', true);
    END IF;
    IF s.payload <> 'ids' THEN
        v_data := v_data || jsonb_build_object('changes', coalesce(d.changes, '{}'));
    END IF;
    IF s.payload = 'record' THEN
        v_data := v_data || jsonb_build_object('record',
            CASE WHEN d.event = 'unlink'
                 THEN (SELECT coalesce(old_values, '{}') FROM webhook_event WHERE id = d.last_event_id)
                 ELSE (SELECT r.record FROM webhook_read_records(d.model, s.record_fields, ARRAY[d.record_id]) r)
            END);
    END IF;
    RETURN jsonb_build_object('type', d.model || '.' || d.event, 'timestamp', d.last_captured_at,
                              'data', v_data);
END
$$;

-- The body a subscriber would get if record p_record_id of its model had just been created,
-- with the record's current values: the addon's "Preview" on a real record.
CREATE OR REPLACE FUNCTION webhook_preview_body(p_subscriber_id bigint, p_model text, p_record_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    s        webhook_subscriber;
    v_values jsonb;
    v_data   jsonb;
BEGIN
    SELECT * INTO s FROM webhook_subscriber WHERE id = p_subscriber_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Subscriber % does not exist.', p_subscriber_id USING ERRCODE = 'no_data_found';
    END IF;
    SELECT r.record INTO v_values FROM webhook_read_records(p_model, NULL, ARRAY[p_record_id]) r;
    IF v_values IS NULL THEN
        RAISE EXCEPTION 'Record % of % does not exist, or % is not tracked.', p_record_id, p_model, p_model
            USING ERRCODE = 'no_data_found';
    END IF;
    v_data := jsonb_build_object(
        'model', p_model, 'record_id', p_record_id, 'event', 'create', 'changed_fields', NULL,
        'coalesced_count', 1, 'occurred_at', now(), 'first_occurred_at', now(),
        'delivery_id', 0, 'first_event_id', 0, 'last_event_id', 0);
    IF s.payload <> 'ids' THEN
        v_data := v_data || jsonb_build_object('changes', webhook_event_changes('create', NULL, v_values));
    END IF;
    IF s.payload = 'record' THEN
        v_data := v_data || jsonb_build_object('record',
            (SELECT r.record FROM webhook_read_records(p_model, s.record_fields, ARRAY[p_record_id]) r));
    END IF;
    RETURN jsonb_build_object('type', p_model || '.create', 'timestamp', now(), 'data', v_data);
END
$$;
