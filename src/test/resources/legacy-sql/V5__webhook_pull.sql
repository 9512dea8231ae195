-- Odoo webhook sidecar: the pull API for apps (events since a cursor, per-device sync).
--
-- Push webhooks serve servers; offline apps pull the same captured events. A device reads the
-- events routed after its cursor and acknowledges what it stored; retention keeps what active
-- devices have not acknowledged (up to a limit) and tells a device that fell behind to resync.
--
-- Tables (the Odoo addon may show and manage them):
--   webhook_api_token    bearer tokens: name, SHA-256 of the token, model scopes, revoked_at
--   webhook_app_profile  named model lists such as sales = sale.order, res.partner, product.*
--   webhook_device       one row per (token, device id): its models and its cursor
--   webhook_event_archive events moved out of webhook_event by retention, deleted later
--   webhook_pull_horizon  one row: the highest routed_seq retention has moved out

-- No router may route while routed_seq is added and numbered: an event routed by an older
-- router during this migration would keep a NULL routed_seq and never reach a device.
-- 33610362934096997 is 'whroute' in ASCII, the lock of webhook_route_events().
SELECT pg_advisory_xact_lock(33610362934096997);

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
ALTER TABLE webhook_event ADD COLUMN IF NOT EXISTS routed_seq bigint;

CREATE SEQUENCE IF NOT EXISTS webhook_event_routed_seq AS bigint;

-- Events routed before this migration, numbered in id order (the router lock is held).
WITH numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n
      FROM webhook_event
     WHERE routed_at IS NOT NULL AND routed_seq IS NULL AND model <> 'webhook.test')
UPDATE webhook_event e SET routed_seq = numbered.n FROM numbered WHERE e.id = numbered.id;

SELECT setval('webhook_event_routed_seq', coalesce(max(routed_seq), 1), max(routed_seq) IS NOT NULL)
  FROM webhook_event;

-- Devices read in routed_seq order. Partial: capture inserts rows with a NULL routed_seq, so
-- Odoo's writes never pay for these indexes; only the router's update does.
CREATE UNIQUE INDEX IF NOT EXISTS webhook_event_pull_index
    ON webhook_event (routed_seq) WHERE routed_seq IS NOT NULL;

-- "What changed since a time" (check-updates, list events with since).
CREATE INDEX IF NOT EXISTS webhook_event_pull_captured_index
    ON webhook_event (captured_at) WHERE routed_seq IS NOT NULL;

-- The router of V3, unchanged except that it numbers each event it routes (routed_seq).
CREATE OR REPLACE FUNCTION webhook_route_events(p_limit integer DEFAULT 500)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    e        webhook_event;
    s        webhook_subscriber;
    v_routed integer := 0;
    v_made   integer;
BEGIN
    -- 33610362934096997 is 'whroute' in ASCII. Held to the end of the transaction: this is
    -- also what makes routed_seq order commit order (see sql/V5__webhook_pull.sql).
    IF NOT pg_try_advisory_xact_lock(33610362934096997) THEN
        RETURN -1;
    END IF;
    FOR e IN SELECT * FROM webhook_event WHERE routed_at IS NULL ORDER BY id LIMIT p_limit LOOP
        v_made := 0;
        FOR s IN SELECT * FROM webhook_subscriber ORDER BY id LOOP
            IF webhook_subscriber_wants(s, e.model, e.event, e.changed_fields) THEN
                PERFORM webhook_merge_event(s.id, e);
                v_made := v_made + 1;
            END IF;
        END LOOP;
        -- delivery_count 0 keeps an event no subscriber wanted, for a later replay (and apps).
        UPDATE webhook_event
           SET routed_at = now(), delivery_count = v_made,
               routed_seq = nextval('webhook_event_routed_seq')
         WHERE id = e.id;
        v_routed := v_routed + 1;
    END LOOP;
    RETURN v_routed;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Tokens, profiles, devices.
-- ---------------------------------------------------------------------------------------------

-- Model patterns: a model name (sale.order), a prefix ending in * (product.*), or * (all).
CREATE OR REPLACE FUNCTION webhook_valid_model_patterns(p_patterns text[])
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT cardinality(p_patterns) > 0
       AND NOT EXISTS (SELECT 1 FROM unnest(p_patterns) p
                        WHERE p IS NULL OR p !~ '^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$')
$$;

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

-- ---------------------------------------------------------------------------------------------
-- Retention that respects devices.
--
-- An event leaves webhook_event (moved to webhook_event_archive) when the V4 rules allow it
-- (routed long enough ago, no unsent delivery needs it) AND every active device has
-- acknowledged it, or it was routed more than p_device_age ago (30 d) whatever the devices.
-- Archived events are deleted p_archive_age (90 d) after routing. The highest routed_seq moved
-- out is kept in webhook_pull_horizon: a device whose cursor is below it has missed something
-- and is told to resync instead of being given a gap.
-- ---------------------------------------------------------------------------------------------
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

-- The V4 purge deleted delivered events after p_age regardless of devices; this one replaces it.
-- SECURITY DEFINER: it reads the device and token tables, which a least-privilege sidecar role
-- made before this migration has no grant on; it only ever applies the retention rules below.
DROP FUNCTION IF EXISTS webhook_purge_events(interval, interval, integer);

CREATE OR REPLACE FUNCTION webhook_purge_events(p_age interval, p_unrouted_age interval,
                                                p_device_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH slowest AS (
        -- The lowest cursor of an active device (token not revoked, synced lately); NULL: none.
        SELECT min(d.cursor_seq) AS seq
          FROM webhook_device d JOIN webhook_api_token t ON t.id = d.token_id
         WHERE t.revoked_at IS NULL AND d.last_sync_at > now() - p_device_age),
    gone AS (
        DELETE FROM webhook_event WHERE id IN (
            SELECT e.id FROM webhook_event e
             WHERE e.routed_at IS NOT NULL
               AND e.routed_at < now() - CASE WHEN e.delivery_count = 0 THEN p_unrouted_age ELSE p_age END
               AND (e.routed_seq IS NULL
                    OR e.routed_seq <= coalesce((SELECT seq FROM slowest), 9223372036854775807)
                    OR e.routed_at < now() - p_device_age)
               AND NOT EXISTS (SELECT 1 FROM webhook_delivery d
                                WHERE d.model = e.model AND d.record_id = e.record_id
                                  AND d.status <> 'sent' AND d.first_event_id <= e.id)
             LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING *),
    archived AS (
        INSERT INTO webhook_event_archive (id, model, record_id, event, changed_fields, txid,
                                           captured_at, routed_at, delivery_count, routed_seq)
        SELECT id, model, record_id, event, changed_fields, txid, captured_at, routed_at,
               delivery_count, routed_seq
          FROM gone
        ON CONFLICT (id) DO NOTHING),
    horizon AS (
        UPDATE webhook_pull_horizon
           SET removed_through = greatest(removed_through, (SELECT max(routed_seq) FROM gone))
         WHERE (SELECT max(routed_seq) FROM gone) > removed_through)
    SELECT count(*)::integer FROM gone
$$;

-- Archived events routed more than p_age ago.
CREATE OR REPLACE FUNCTION webhook_purge_archive(p_age interval, p_limit integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (
        DELETE FROM webhook_event_archive WHERE id IN (
            SELECT id FROM webhook_event_archive
             WHERE coalesce(routed_at, archived_at) < now() - p_age
             LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- A sidecar running as the least-privilege role (sql/optional/sidecar_role.sql) needs the new
-- tables too; granted here when the role exists already.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON webhook_api_token, webhook_device, webhook_event_archive, webhook_pull_horizon
            TO webhook_sidecar;
        GRANT SELECT ON webhook_app_profile TO webhook_sidecar;
        GRANT USAGE, SELECT ON SEQUENCE webhook_event_routed_seq, webhook_api_token_id_seq
            TO webhook_sidecar;
        GRANT EXECUTE ON FUNCTION webhook_route_events(integer), webhook_valid_model_patterns(text[]),
            webhook_purge_events(interval, interval, interval, integer),
            webhook_purge_archive(interval, integer)
            TO webhook_sidecar;
    END IF;
END
$$;
