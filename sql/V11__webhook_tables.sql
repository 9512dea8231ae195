-- Odoo webhook sidecar: every table, sequence, index, constraint and seed row.
--
-- V1..V10 (up to release d8aebd4) mixed tables and functions, and redefined functions in later
-- files. They were folded into this file and the repeatable R__webhook_*.sql files, one per
-- step, which hold every function in its current form. A database migrated before keeps its
-- history rows for V1..V10 (`migrate` ignores applied versions that are no longer shipped);
-- on it this file changes nothing. On a fresh database it creates everything.
--
-- Only tables and data live here; functions live in the R files (applied after this one).
-- Everything is re-runnable: CREATE ... IF NOT EXISTS, ADD COLUMN IF NOT EXISTS,
-- ON CONFLICT DO NOTHING.
--
-- Every object is prefixed webhook_ so it cannot collide with Odoo's own tables.
-- Flow: capture triggers write webhook_event rows inside Odoo's transaction; the sidecar routes
-- each committed event into webhook_delivery rows (one per subscriber and record, coalesced);
-- every HTTP attempt is a webhook_attempt row.

-- On a database that has the tables already, every statement below would say "already exists,
-- skipping": nothing a reader needs (RESET at the end of the file).
SET LOCAL client_min_messages = warning;

-- Model patterns: a model name (sale.order), a prefix ending in * (product.*), or * (all).
-- The one function in a versioned file: CHECK constraints of the tables below call it, so it
-- must exist before them (repeatable files run after every versioned one). Its body must not
-- change while rows depend on it; a new rule needs a new function and new constraints.
CREATE OR REPLACE FUNCTION webhook_valid_model_patterns(p_patterns text[])
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT cardinality(p_patterns) > 0
       AND NOT EXISTS (SELECT 1 FROM unnest(p_patterns) p
                        WHERE p IS NULL OR p !~ '^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$')
$$;

-- ---------------------------------------------------------------------------------------------
-- Capture.
-- ---------------------------------------------------------------------------------------------

-- Models whose tables carry capture triggers. Filled by webhook_track() (R__webhook_capture.sql).
CREATE TABLE IF NOT EXISTS webhook_tracked_model (
    model           text        NOT NULL,
    table_name      text        NOT NULL,
    active          boolean     NOT NULL DEFAULT true,
    -- Columns whose change alone is not an event (Odoo touches them on every write).
    ignored_columns text[]      NOT NULL DEFAULT ARRAY['write_date', 'write_uid'],
    tracked_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_tracked_model_pkey PRIMARY KEY (model),
    CONSTRAINT webhook_tracked_model_table_name_key UNIQUE (table_name)
);

-- One row per changed record per transaction. Several statements on one record inside one
-- transaction merge into one row (see the unique index below and the capture functions).
CREATE TABLE IF NOT EXISTS webhook_event (
    id             bigint GENERATED ALWAYS AS IDENTITY,
    model          text        NOT NULL,
    record_id      bigint      NOT NULL,
    event          text        NOT NULL,
    -- For writes, the columns that changed; NULL for create and unlink (the whole record).
    changed_fields text[],
    txid           bigint      NOT NULL DEFAULT txid_current(),
    captured_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Set by the router once the event became deliveries (or found no subscriber).
    routed_at      timestamptz,
    -- How many deliveries the router made of it; 0 means no subscriber matched (kept for replay).
    delivery_count integer,
    -- The pull API's cursor, taken by the router (see webhook_event_routed_seq below).
    routed_seq     bigint,
    CONSTRAINT webhook_event_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_event_event_check CHECK (event IN ('create', 'write', 'unlink')),
    CONSTRAINT webhook_event_routed_check CHECK ((routed_at IS NULL) = (delivery_count IS NULL))
);

-- ---------------------------------------------------------------------------------------------
-- The cursor: routed_seq.
--
-- Event ids are taken at INSERT but transactions commit in another order, so a reader that
-- has seen id 10 may later see id 9 commit: a cursor on id can skip events. routed_seq is taken
-- by the router instead, under its transaction-level advisory lock, one batch at a time: a
-- batch's numbers are all higher than the previous batch's, and the previous batch is committed
-- and visible before the next one can take the lock. So a snapshot that shows some routed_seq
-- shows every lower one: reading "routed_seq > cursor" never skips and never repeats.
-- Gaps in the numbers (a rolled-back batch) are harmless.
-- ---------------------------------------------------------------------------------------------

-- A database migrated only up to V4 has no routed_seq yet: add it and number the events routed
-- so far in id order. No router may route meanwhile (an event routed by an older router would
-- keep a NULL routed_seq and never reach a device), hence the router's lock; 33610362934096997
-- is 'whroute' in ASCII, the lock of webhook_route_events(). Skipped when the column exists:
-- moving the sequence back to the highest routed_seq left in the table (the rest may be
-- archived) would hand out numbers twice.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                    WHERE attrelid = 'webhook_event'::regclass AND attname = 'routed_seq'
                      AND NOT attisdropped) THEN
        PERFORM pg_advisory_xact_lock(33610362934096997);
        ALTER TABLE webhook_event ADD COLUMN routed_seq bigint;
        CREATE SEQUENCE IF NOT EXISTS webhook_event_routed_seq AS bigint;
        WITH numbered AS (
            SELECT id, row_number() OVER (ORDER BY id) AS n
              FROM webhook_event
             WHERE routed_at IS NOT NULL AND routed_seq IS NULL AND model <> 'webhook.test')
        UPDATE webhook_event e SET routed_seq = numbered.n FROM numbered WHERE e.id = numbered.id;
        PERFORM setval('webhook_event_routed_seq', coalesce(max(routed_seq), 1), max(routed_seq) IS NOT NULL)
           FROM webhook_event;
    END IF;
END
$$;

CREATE SEQUENCE IF NOT EXISTS webhook_event_routed_seq AS bigint;

-- The router's work list: unrouted events in id order. Per record, id order is commit order,
-- because a second writer of a row waits for the first to commit before its trigger runs.
CREATE INDEX IF NOT EXISTS webhook_event_unrouted_index
    ON webhook_event (id) WHERE routed_at IS NULL;

-- Merges several statements on one record within one transaction (Odoo issues more than one
-- UPDATE per write) into one event, through ON CONFLICT in the capture functions.
CREATE UNIQUE INDEX IF NOT EXISTS webhook_event_one_per_record_and_transaction_index
    ON webhook_event (txid, model, record_id) WHERE routed_at IS NULL;

-- Devices read in routed_seq order. Partial: capture inserts rows with a NULL routed_seq, so
-- Odoo's writes never pay for these indexes; only the router's update does.
CREATE UNIQUE INDEX IF NOT EXISTS webhook_event_pull_index
    ON webhook_event (routed_seq) WHERE routed_seq IS NOT NULL;

-- "What changed since a time" (check-updates, list events with since).
CREATE INDEX IF NOT EXISTS webhook_event_pull_captured_index
    ON webhook_event (captured_at) WHERE routed_seq IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- Subscribers, deliveries, attempts.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS webhook_subscriber (
    id               bigint GENERATED BY DEFAULT AS IDENTITY,
    name             text        NOT NULL,
    url              text        NOT NULL,
    -- Standard Webhooks secret, whsec_<base64>.
    secret           text        NOT NULL,
    -- During a rotation the old secret keeps signing too, until previous_secret_expires_at.
    previous_secret  text,
    previous_secret_expires_at timestamptz,
    active           boolean     NOT NULL DEFAULT true,
    -- NULL means every tracked model.
    models           text[],
    events           text[]      NOT NULL DEFAULT ARRAY['create', 'write', 'unlink'],
    -- Optional: a write is delivered only if one of these fields changed. NULL means any.
    changed_fields_filter text[],
    timeout_ms       integer     NOT NULL DEFAULT 10000,
    max_retries      integer     NOT NULL DEFAULT 5,
    -- Retry n (1-based) waits backoff_base_ms * backoff_factor^(n-1), with jitter.
    backoff_base_ms  integer     NOT NULL DEFAULT 60000,
    backoff_factor   numeric     NOT NULL DEFAULT 2,
    -- Requests per second at most; NULL means unlimited.
    rate_limit_per_second numeric,
    max_concurrency  integer     NOT NULL DEFAULT 4,
    -- Extra HTTP headers, a JSON object of strings.
    headers          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_subscriber_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_subscriber_name_key UNIQUE (name),
    CONSTRAINT webhook_subscriber_url_check CHECK (url ~* '^https?://[^/?#\s]+'),
    CONSTRAINT webhook_subscriber_secret_check CHECK (secret LIKE 'whsec\_%'),
    CONSTRAINT webhook_subscriber_events_check
        CHECK (events <@ ARRAY['create', 'write', 'unlink'] AND cardinality(events) > 0),
    CONSTRAINT webhook_subscriber_timeout_check CHECK (timeout_ms BETWEEN 100 AND 300000),
    CONSTRAINT webhook_subscriber_max_retries_check CHECK (max_retries BETWEEN 0 AND 100),
    CONSTRAINT webhook_subscriber_backoff_check
        CHECK (backoff_base_ms BETWEEN 10 AND 86400000 AND backoff_factor >= 1),
    CONSTRAINT webhook_subscriber_rate_limit_check
        CHECK (rate_limit_per_second IS NULL OR rate_limit_per_second > 0),
    CONSTRAINT webhook_subscriber_concurrency_check CHECK (max_concurrency BETWEEN 1 AND 256),
    CONSTRAINT webhook_subscriber_headers_check CHECK (jsonb_typeof(headers) = 'object')
);

-- One message to one subscriber about one record. While it is not sent, later events of the
-- record merge into it (net effect), so a burst of edits becomes one delivery.
CREATE TABLE IF NOT EXISTS webhook_delivery (
    id              bigint GENERATED ALWAYS AS IDENTITY,
    subscriber_id   bigint      NOT NULL,
    model           text        NOT NULL,
    record_id       bigint      NOT NULL,
    event           text        NOT NULL,
    changed_fields  text[],
    status          text        NOT NULL DEFAULT 'pending',
    -- Events merged into this delivery, and the range of their ids.
    coalesced_count integer     NOT NULL DEFAULT 1,
    first_event_id  bigint      NOT NULL,
    last_event_id   bigint      NOT NULL,
    -- Capture time of the oldest event: commit-to-delivery latency is measured from it.
    first_captured_at timestamptz NOT NULL,
    last_captured_at  timestamptz NOT NULL,
    -- Bumped when events merge into a delivery that was already attempted: the content changed,
    -- so the webhook-id changes too and an idempotent receiver does not drop the news.
    content_version integer     NOT NULL DEFAULT 0,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_by       text,
    locked_until    timestamptz,
    last_attempt_at timestamptz,
    last_status_code integer,
    last_error_type text,
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_delivery_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_delivery_subscriber_fkey FOREIGN KEY (subscriber_id)
        REFERENCES webhook_subscriber (id) ON DELETE CASCADE,
    CONSTRAINT webhook_delivery_event_check CHECK (event IN ('create', 'write', 'unlink')),
    CONSTRAINT webhook_delivery_status_check
        CHECK (status IN ('pending', 'processing', 'sent', 'failed', 'dead')),
    -- A delivery in flight carries its lease; nothing else does.
    CONSTRAINT webhook_delivery_lease_check
        CHECK ((status = 'processing') = (locked_until IS NOT NULL AND locked_by IS NOT NULL)),
    CONSTRAINT webhook_delivery_sent_at_check CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT webhook_delivery_coalesced_count_check CHECK (coalesced_count >= 1)
);

-- At most one delivery per record can absorb new events (not yet in flight, not final) ...
CREATE UNIQUE INDEX IF NOT EXISTS webhook_delivery_one_open_per_record_index
    ON webhook_delivery (subscriber_id, model, record_id) WHERE status IN ('pending', 'failed');

-- ... and at most one per record is in flight: per-record order.
CREATE UNIQUE INDEX IF NOT EXISTS webhook_delivery_one_in_flight_per_record_index
    ON webhook_delivery (subscriber_id, model, record_id) WHERE status = 'processing';

-- The dispatcher's work list, per subscriber (claims respect each subscriber's concurrency).
CREATE INDEX IF NOT EXISTS webhook_delivery_due_index
    ON webhook_delivery (subscriber_id, next_attempt_at, id) WHERE status IN ('pending', 'failed');

-- When the next retry is due, all subscribers together (the dispatcher sleeps until then).
CREATE INDEX IF NOT EXISTS webhook_delivery_next_due_index
    ON webhook_delivery (next_attempt_at) WHERE status IN ('pending', 'failed');

-- Lease recovery finds deliveries whose sidecar died mid-flight.
CREATE INDEX IF NOT EXISTS webhook_delivery_lease_index
    ON webhook_delivery (locked_until) WHERE status = 'processing';

CREATE INDEX IF NOT EXISTS webhook_delivery_status_index
    ON webhook_delivery (status, created_at);

-- Finds a record's unsent deliveries (the orphan cleanup, retention). No such index on
-- webhook_event: every index there is paid by Odoo's writes.
CREATE INDEX IF NOT EXISTS webhook_delivery_record_index ON webhook_delivery (model, record_id);

CREATE TABLE IF NOT EXISTS webhook_attempt (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    delivery_id   bigint      NOT NULL,
    attempt       integer     NOT NULL,
    started_at    timestamptz NOT NULL,
    duration_ms   integer     NOT NULL,
    -- The webhook-id that was sent, so a receiver's log can be matched.
    message_id    text        NOT NULL,
    status_code   integer,
    -- NULL on success; else timeout, connection, http_error, rate_limited, invalid_url, internal.
    error_type    text,
    error_message text,
    -- The first bytes of the response body, for a human reading the failure.
    response_excerpt text,
    sidecar_id    text        NOT NULL,
    CONSTRAINT webhook_attempt_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_attempt_delivery_fkey FOREIGN KEY (delivery_id)
        REFERENCES webhook_delivery (id) ON DELETE CASCADE
);

CREATE INDEX IF NOT EXISTS webhook_attempt_delivery_index ON webhook_attempt (delivery_id, attempt);

-- ---------------------------------------------------------------------------------------------
-- Bookkeeping: sidecars alive, scheduled job runs.
-- ---------------------------------------------------------------------------------------------

-- One row per running sidecar, refreshed by its heartbeat, so the addon can show who is alive.
CREATE TABLE IF NOT EXISTS webhook_sidecar_instance (
    instance_id  text        NOT NULL,
    host         text        NOT NULL,
    version      text        NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    stopped_at   timestamptz,
    CONSTRAINT webhook_sidecar_instance_pkey PRIMARY KEY (instance_id)
);

-- One row per run of a scheduled job (cleanup, retention purge, lease recovery).
CREATE TABLE IF NOT EXISTS webhook_job_run (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    job         text        NOT NULL,
    instance_id text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- Rows removed or changed, by what: {"res.partner": 12, ...}.
    result      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error       text,
    CONSTRAINT webhook_job_run_pkey PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS webhook_job_run_job_index ON webhook_job_run (job, started_at DESC);

-- ---------------------------------------------------------------------------------------------
-- The pull API for apps (events since a cursor, per-device sync).
--
-- Push webhooks serve servers; offline apps pull the same captured events. A device reads the
-- events routed after its cursor and acknowledges what it stored; retention keeps what active
-- devices have not acknowledged (up to a limit) and tells a device that fell behind to resync.
--
--   webhook_api_token     bearer tokens: name, SHA-256 of the token, model scopes, revoked_at
--   webhook_app_profile   named model lists such as sales = sale.order, res.partner, product.*
--   webhook_device        one row per (token, device id): its models and its cursor
--   webhook_event_archive events moved out of webhook_event by retention, deleted later
--   webhook_pull_horizon  one row: the highest routed_seq retention has moved out
-- ---------------------------------------------------------------------------------------------

-- A bearer token of an app or device. The token itself is never stored: token_hash is the hex
-- SHA-256 of it. A fast hash is enough because tokens are 256 random bits, not passwords: no
-- dictionary helps, and a slow hash would only cost every request. Shown once at creation.
CREATE TABLE IF NOT EXISTS webhook_api_token (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    name         text        NOT NULL,
    token_hash   text        NOT NULL,
    -- Model patterns the token may read (see webhook_valid_model_patterns).
    models       text[]      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Set once: from then on every request with the token gets 401.
    revoked_at   timestamptz,
    -- Refreshed at most once a minute, so requests do not all write.
    last_used_at timestamptz,
    CONSTRAINT webhook_api_token_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_api_token_hash_key UNIQUE (token_hash),
    CONSTRAINT webhook_api_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT webhook_api_token_name_check CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT webhook_api_token_models_check CHECK (webhook_valid_model_patterns(models))
);

-- One active token per name (revoke by name); a revoked name may be used again.
CREATE UNIQUE INDEX IF NOT EXISTS webhook_api_token_active_name_index
    ON webhook_api_token (name) WHERE revoked_at IS NULL;

-- Named model lists an app can pull by, instead of listing models.
CREATE TABLE IF NOT EXISTS webhook_app_profile (
    name        text NOT NULL,
    models      text[] NOT NULL,
    description text,
    CONSTRAINT webhook_app_profile_pkey PRIMARY KEY (name),
    CONSTRAINT webhook_app_profile_models_check CHECK (webhook_valid_model_patterns(models))
);

INSERT INTO webhook_app_profile (name, models, description) VALUES
    ('sales', ARRAY['sale.order', 'sale.order.line', 'res.partner', 'product.*'],
     'Sales app: orders, their lines, customers, products'),
    ('delivery', ARRAY['stock.picking', 'stock.move', 'res.partner', 'product.*'],
     'Delivery app: transfers, their moves, partners, products')
ON CONFLICT (name) DO NOTHING;

-- One device of one token, and how far it has synced. Its models are fixed by its first pull
-- (or its last reset): pulling other models would silently miss their earlier changes.
CREATE TABLE IF NOT EXISTS webhook_device (
    token_id        bigint      NOT NULL,
    device_id       text        NOT NULL,
    -- The profile it pulls by, if any, and the model patterns it syncs.
    profile         text,
    models          text[]      NOT NULL,
    -- Highest routed_seq the device acknowledged: it has everything up to here.
    cursor_seq      bigint      NOT NULL DEFAULT 0,
    -- next_cursor of its latest pull: the most it may acknowledge.
    offered_seq     bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Last pull, acknowledgement or reset: devices silent longer than WEBHOOK_RETENTION_DEVICES
    -- no longer hold events back.
    last_sync_at    timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    reset_at        timestamptz,
    CONSTRAINT webhook_device_pkey PRIMARY KEY (token_id, device_id),
    CONSTRAINT webhook_device_token_fkey FOREIGN KEY (token_id)
        REFERENCES webhook_api_token (id) ON DELETE CASCADE,
    CONSTRAINT webhook_device_id_check CHECK (device_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
    CONSTRAINT webhook_device_models_check CHECK (webhook_valid_model_patterns(models)),
    CONSTRAINT webhook_device_cursor_check CHECK (cursor_seq BETWEEN 0 AND offered_seq)
);

-- Retention (webhook_purge_events, R__webhook_cleanup.sql) moves events here once no unsent
-- delivery and no active device needs them; archived events are deleted later.
CREATE TABLE IF NOT EXISTS webhook_event_archive (
    id             bigint      NOT NULL,
    model          text        NOT NULL,
    record_id      bigint      NOT NULL,
    event          text        NOT NULL,
    changed_fields text[],
    txid           bigint      NOT NULL,
    captured_at    timestamptz NOT NULL,
    routed_at      timestamptz,
    delivery_count integer,
    routed_seq     bigint,
    archived_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_event_archive_pkey PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS webhook_event_archive_routed_index ON webhook_event_archive (routed_at);

CREATE TABLE IF NOT EXISTS webhook_pull_horizon (
    singleton       boolean NOT NULL DEFAULT true,
    -- Every event with a routed_seq up to here may be gone from webhook_event.
    removed_through bigint  NOT NULL DEFAULT 0,
    CONSTRAINT webhook_pull_horizon_pkey PRIMARY KEY (singleton),
    CONSTRAINT webhook_pull_horizon_singleton_check CHECK (singleton)
);

INSERT INTO webhook_pull_horizon (singleton, removed_through) VALUES (true, 0)
ON CONFLICT (singleton) DO NOTHING;

-- Queue tables: every routed event and every delivery step leaves a dead row version, and the
-- purge deletes in bulk. Vacuum them after a small share of changes (the defaults wait for 20%
-- of the table), so they stay small under a steady load.
ALTER TABLE webhook_event SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000,
                               autovacuum_vacuum_insert_scale_factor = 0.05);
ALTER TABLE webhook_delivery SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE webhook_attempt SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 1000);

RESET client_min_messages;
