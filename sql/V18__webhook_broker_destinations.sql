-- Odoo webhook sidecar: broker destinations (issue 23). A subscriber's URL names where its
-- deliveries go: http(s):// as before, kafka://host:port[,host:port]/topic or
-- nats://host:port[,host:port]/subject.prefix (docs/brokers.md). Options ride in the query
-- (?tls=true, Kafka's &sasl=SCRAM-SHA-512); credentials never do: they live in
-- webhook_broker_credential, kept like the subscriber's secret.

-- The URL rule: an http(s) URL with a host, or a broker URL with servers and a topic/prefix.
-- The sidecar checks the rest (ports, topic names, options) with one line saying what to fix.
ALTER TABLE webhook_subscriber DROP CONSTRAINT IF EXISTS webhook_subscriber_url_check;
ALTER TABLE webhook_subscriber ADD CONSTRAINT webhook_subscriber_url_check
    CHECK (url ~* '^(https?://[^/?#\s]+|kafka://[^/?#\s@]+/[^/?#\s]+|nats://[^/?#\s@]+/[^/?#\s]+)')
    NOT VALID;

-- A broker subscriber's credentials: SASL user and password for Kafka, user and password or a
-- token for NATS. One row per subscriber, gone with it. Like webhook_subscriber.secret they are
-- read by the sidecar, never logged, never listed; the URL carries none (it is shown and logged).
CREATE TABLE IF NOT EXISTS webhook_broker_credential (
    subscriber_id bigint      NOT NULL,
    username      text,
    password      text,
    token         text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_broker_credential_pkey PRIMARY KEY (subscriber_id),
    CONSTRAINT webhook_broker_credential_subscriber_fkey FOREIGN KEY (subscriber_id)
        REFERENCES webhook_subscriber (id) ON DELETE CASCADE,
    CONSTRAINT webhook_broker_credential_password_needs_user_check
        CHECK (password IS NULL OR username IS NOT NULL),
    CONSTRAINT webhook_broker_credential_user_or_token_check
        CHECK (username IS NULL OR token IS NULL)
);

-- Two error types of publishing: no_stream (no JetStream stream covers the subject, or the Kafka
-- topic does not exist) and broker_error (the broker refused: credentials, rights, its own
-- error). The constraints are re-made with the values they list now plus these two, so this file
-- keeps any value another migration added. NOT VALID as in V14: no scan of the history.
DO $$
DECLARE
    v_table text;
    v_constraint text;
    v_column text;
    v_values text[];
BEGIN
    FOR v_table, v_constraint, v_column IN
        VALUES ('webhook_attempt', 'webhook_attempt_error_type_check', 'error_type'),
               ('webhook_delivery', 'webhook_delivery_last_error_type_check', 'last_error_type')
    LOOP
        SELECT array_agg(DISTINCT m[1] ORDER BY m[1]) INTO v_values
          FROM pg_constraint c,
               regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m
         WHERE c.conname = v_constraint AND c.conrelid = v_table::regclass;
        v_values := ARRAY(SELECT DISTINCT v FROM unnest(coalesce(v_values, '{}')
                                                        || ARRAY['no_stream', 'broker_error']) AS v ORDER BY v);
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT IF EXISTS %I', v_table, v_constraint);
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I IN (%s)) NOT VALID',
                       v_table, v_constraint, v_column,
                       (SELECT string_agg(quote_literal(v), ', ') FROM unnest(v_values) AS v));
    END LOOP;
END
$$;
