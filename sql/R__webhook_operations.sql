-- Odoo webhook sidecar, step: operations (breaker states for the addon, jobs asked for now).
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- A sidecar's circuit-breaker states, one per subscriber it knows, recorded with its heartbeat.
CREATE OR REPLACE FUNCTION webhook_record_breakers(p_instance text, p_subscribers bigint[], p_states text[])
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO webhook_subscriber_breaker AS b (subscriber_id, instance_id, state, updated_at)
    SELECT s.id, p_instance, u.state, now()
      FROM unnest(p_subscribers, p_states) AS u(subscriber_id, state)
      JOIN webhook_subscriber s ON s.id = u.subscriber_id  -- a subscriber deleted meanwhile is skipped
    ON CONFLICT (subscriber_id, instance_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()
$$;

-- Asks the running sidecars to run a job now (the addon's "Run now"); returns the request's id.
-- One request waits at a time per job: asking again while one waits returns that one.
CREATE OR REPLACE FUNCTION webhook_request_job(p_job text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_job IS DISTINCT FROM 'cleanup' THEN
        RAISE EXCEPTION 'Unknown job "%": only cleanup can be run on request.', p_job
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT id INTO v_id FROM webhook_job_request WHERE job = p_job AND picked_at IS NULL ORDER BY id LIMIT 1;
    IF v_id IS NULL THEN
        INSERT INTO webhook_job_request (job) VALUES (p_job) RETURNING id INTO v_id;
    END IF;
    RETURN v_id;
END
$$;

-- Takes the oldest waiting request of a job for sidecar p_instance, or NULL. SKIP LOCKED: two
-- sidecars never take the same request.
CREATE OR REPLACE FUNCTION webhook_pick_job_request(p_job text, p_instance text)
RETURNS bigint
LANGUAGE sql AS $$
    UPDATE webhook_job_request r SET picked_by = p_instance, picked_at = now()
     WHERE r.id = (SELECT id FROM webhook_job_request
                    WHERE job = p_job AND picked_at IS NULL
                    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING r.id
$$;

-- Records how a picked request ended: the job run that carried it out, or why it could not.
CREATE OR REPLACE FUNCTION webhook_finish_job_request(p_id bigint, p_job_run_id bigint, p_error text)
RETURNS void
LANGUAGE sql AS $$
    UPDATE webhook_job_request SET done_at = now(), job_run_id = p_job_run_id, error = p_error
     WHERE id = p_id
$$;

-- Broker credentials (issue 23): the one rule of which credentials fit a subscriber's URL, for the
-- CLI, psql and the addon. NULL when they fit; otherwise what to change, in one sentence that
-- names no column and no option. A kafka:// URL logs in only with ?sasl=MECHANISM, and then with a
-- user name and password; a nats:// URL takes a user name and password, or a token; an http(s)
-- URL takes none (its receiver's credentials go in a custom header). Empty strings count as none.
CREATE OR REPLACE FUNCTION webhook_broker_credentials_problem(
    p_url text, p_username text, p_password text, p_token text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_user text := nullif(p_username, '');
    v_password text := nullif(p_password, '');
    v_token text := nullif(p_token, '');
    v_kafka boolean := p_url ~* '^kafka://';
    v_sasl boolean := p_url ~* '^kafka://[^?#]*\?([^#]*&)?sasl=';
BEGIN
    IF NOT (v_kafka OR p_url ~* '^nats://') THEN
        RETURN CASE WHEN coalesce(v_user, v_password, v_token) IS NOT NULL THEN
            'Broker credentials apply to kafka:// and nats:// URLs only; an http(s) receiver'
            || ' takes its credentials in a custom header' END;
    END IF;
    IF v_user IS NOT NULL AND v_token IS NOT NULL THEN
        RETURN 'Broker credentials are a user name and password, or a token, not both';
    END IF;
    IF (v_user IS NULL) <> (v_password IS NULL) THEN
        RETURN CASE WHEN v_user IS NULL THEN 'A broker password needs a user name'
                    ELSE 'A broker user name needs a password' END;
    END IF;
    IF v_kafka AND v_token IS NOT NULL THEN
        RETURN 'Kafka takes a user name and password (SASL), not a token';
    END IF;
    IF v_kafka AND v_user IS NOT NULL AND NOT v_sasl THEN
        RETURN 'A kafka:// URL uses a user name and password only with SASL: add'
            || ' ?sasl=PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 to the URL';
    END IF;
    IF v_sasl AND v_user IS NULL THEN
        RETURN 'The kafka:// URL asks for SASL (?sasl=): it needs a user name and password';
    END IF;
    RETURN NULL;
END
$$;

-- Sets a subscriber's broker credentials as a whole, or removes them when all three are NULL
-- (or empty), after webhook_broker_credentials_problem: nothing is stored that the sidecar could
-- not use. Raises invalid_parameter_value with what to change. Never logs or returns a value.
CREATE OR REPLACE FUNCTION webhook_set_broker_credentials(
    p_subscriber_id bigint, p_username text, p_password text, p_token text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_url text;
    v_problem text;
BEGIN
    SELECT url INTO v_url FROM webhook_subscriber WHERE id = p_subscriber_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no subscriber with id %.', p_subscriber_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_problem := webhook_broker_credentials_problem(v_url, p_username, p_password, p_token);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '%.', v_problem USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(nullif(p_username, ''), nullif(p_password, ''), nullif(p_token, '')) IS NULL THEN
        DELETE FROM webhook_broker_credential WHERE subscriber_id = p_subscriber_id;
        RETURN;
    END IF;
    INSERT INTO webhook_broker_credential AS c (subscriber_id, username, password, token)
    VALUES (p_subscriber_id, nullif(p_username, ''), nullif(p_password, ''), nullif(p_token, ''))
    ON CONFLICT (subscriber_id) DO UPDATE
       SET username = EXCLUDED.username, password = EXCLUDED.password, token = EXCLUDED.token,
           updated_at = now();
END
$$;
