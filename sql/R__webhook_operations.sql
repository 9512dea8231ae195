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
