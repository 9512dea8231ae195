-- Odoo webhook sidecar: what the sidecars tell Odoo about their work, and what Odoo asks of them.
--
-- webhook_subscriber_breaker: each running sidecar's circuit-breaker state per subscriber,
-- refreshed with its heartbeat, so the addon can say why a subscriber's deliveries wait (only
-- the sidecar knows its breakers). webhook_job_request: a job an admin asked for now ("Run now"
-- in the addon, or psql), picked up by one running sidecar within seconds.

CREATE TABLE IF NOT EXISTS webhook_subscriber_breaker (
    subscriber_id bigint      NOT NULL,
    instance_id   text        NOT NULL,
    state         text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_subscriber_breaker_pkey PRIMARY KEY (subscriber_id, instance_id),
    CONSTRAINT webhook_subscriber_breaker_subscriber_fkey FOREIGN KEY (subscriber_id)
        REFERENCES webhook_subscriber (id) ON DELETE CASCADE,
    CONSTRAINT webhook_subscriber_breaker_state_check CHECK (state IN ('closed', 'open', 'half_open'))
);

CREATE TABLE IF NOT EXISTS webhook_job_request (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    job          text        NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    requested_by text        NOT NULL DEFAULT current_user,
    picked_by    text,
    picked_at    timestamptz,
    done_at      timestamptz,
    -- The webhook_job_run that carried it out.
    job_run_id   bigint,
    error        text,
    CONSTRAINT webhook_job_request_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_job_request_job_check CHECK (job IN ('cleanup')),
    CONSTRAINT webhook_job_request_picked_check CHECK ((picked_by IS NULL) = (picked_at IS NULL))
);

CREATE INDEX IF NOT EXISTS webhook_job_request_waiting_index
    ON webhook_job_request (requested_at) WHERE picked_at IS NULL;
