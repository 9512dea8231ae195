#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# What one claim and one routing pass cost as the backlog grows (issue 22, target 1: the cost
# must not grow with the number of outstanding or sent rows).
#
# For each size N (default 1,000, 10,000 and 100,000) it creates a scratch database on the
# PostgreSQL of PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres), applies sql/install.sql,
# and fills it like a sidecar that has fallen behind under the steady load of the benchmark's
# scenario 3 (one subscriber, new records):
#   - SENT (default 100,000) sent deliveries and their routed events: the history kept for
#     retention, half of it on 500 records written 100 times each;
#   - N due pending deliveries of other records: the dispatcher's backlog;
#   - N unrouted events of yet other records, every tenth a write to a record of the backlog
#     (those merge into its pending delivery) and every tenth but five a write to a record with
#     a long history: the router's backlog.
# Then, in two states, it calls each function RUNS times (after 6 unmeasured calls, so that
# PL/pgSQL has settled on its cached plans as in a long-lived sidecar connection), every call
# undone by rolling back a subtransaction so that all calls see the same rows:
#   clean   right after VACUUM ANALYZE;
#   churned after CHURN rounds of real work without a vacuum (claim 32, record them sent,
#           route 32 new events): dead row versions and index entries, as between two
#           autovacuum runs under load.
# Measured calls: webhook_claim_deliveries('bench', 32, 60 s, subscriber, 32 slots) and
# webhook_route_events(500). Reported: median milliseconds and median shared buffers touched
# (hit + read, the function's own statements included). Milliseconds depend on the machine and
# its load; buffers do not, and are what to compare.
#
#     bench/backlog-cost.sh                    # sizes 1000 10000 100000, markdown on stdout
#     SIZES="1000 100000" RUNS=5 bench/backlog-cost.sh
#     SQL_DIR=/some/older/sql bench/backlog-cost.sh    # the same, on another version's files
#
# It drops its database at the end (also on failure or Ctrl-C). Nothing else is touched.
# KEEP_DB=name keeps the last size's database under that name, to look at its plans.

set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
SQL_DIR="${SQL_DIR:-$(cd "$(dirname "$0")/../sql" && pwd)}"
SIZES="${SIZES:-1000 10000 100000}"
SENT="${SENT:-100000}"
RUNS="${RUNS:-9}"
CHURN="${CHURN:-300}"
DB="${KEEP_DB:-webhook_backlog_cost_$$}"

drop() { dropdb --if-exists "$DB" 2>/dev/null || true; }
[ -n "${KEEP_DB:-}" ] || trap drop EXIT

q() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# A measured call: the median of RUNS calls after 6 unmeasured ones, each rolled back.
measure_sql() {
  cat <<SQL
CREATE OR REPLACE FUNCTION pg_temp.measure(p_call text, p_runs integer)
RETURNS TABLE (ms numeric, buffers numeric)
LANGUAGE plpgsql AS \$\$
DECLARE
    v_plan json;
    v_ms   numeric[] := '{}';
    v_buf  numeric[] := '{}';
BEGIN
    FOR i IN 1 .. 6 + p_runs LOOP
        BEGIN
            EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ' || p_call INTO v_plan;
            RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
        IF i > 6 THEN
            v_ms := v_ms || (v_plan -> 0 ->> 'Execution Time')::numeric;
            v_buf := v_buf || ((v_plan -> 0 -> 'Plan' ->> 'Shared Hit Blocks')::numeric
                               + (v_plan -> 0 -> 'Plan' ->> 'Shared Read Blocks')::numeric);
        END IF;
    END LOOP;
    RETURN QUERY
    SELECT round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(v_ms) x)::numeric, 2),
           round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(v_buf) x)::numeric);
END
\$\$;
SELECT format('| %s | %s | %s | %s | %s |', :'size', :'state', c.ms, c.buffers, r.ms || ' | ' || r.buffers)
  FROM pg_temp.measure(format('SELECT count(*) FROM webhook_claim_deliveries(%L, 32, interval %L, ARRAY[%s]::bigint[], ARRAY[32])',
                              'bench', '60 s', (SELECT id FROM webhook_subscriber WHERE name = 'bench')), $RUNS) c,
       pg_temp.measure('SELECT webhook_route_events(500)', $RUNS) r;
SQL
}

echo "| outstanding | state | claim ms | claim buffers | route ms | route buffers |"
echo "|---:|---|---:|---:|---:|---:|"
for size in $SIZES; do
  drop
  createdb "$DB"
  (cd "$SQL_DIR" && q -f install.sql) >/dev/null
  q -v size="$size" -v sent="$SENT" >/dev/null <<'SQL'
SET client_min_messages = warning;
INSERT INTO webhook_subscriber (name, url, secret, max_concurrency)
VALUES ('bench', 'http://127.0.0.1:9/hooks', 'whsec_' || encode(sha256('bench'), 'base64'), 32);

-- The sent history: one delivery and one routed event per record 1..sent, except that the
-- first 500 records were written 100 times each (their first 100 deliveries).
INSERT INTO webhook_event (model, record_id, event, captured_at, routed_at, delivery_count, routed_seq)
SELECT 'res.partner', CASE WHEN r <= 50000 THEN 1 + (r - 1) % 500 ELSE r END,
       CASE WHEN r <= 500 OR r > 50000 THEN 'create' ELSE 'write' END,
       now() - interval '1 hour', now() - interval '1 hour', 1, nextval('webhook_event_routed_seq')
  FROM generate_series(1, :sent) r;
INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, status, first_event_id, last_event_id,
                              first_captured_at, last_captured_at, attempts, last_attempt_at, sent_at,
                              last_status_code, next_attempt_at, created_at)
SELECT s.id, 'res.partner', e.record_id, e.event, 'sent', e.id, e.id, e.captured_at, e.captured_at,
       1, e.captured_at, e.captured_at, 200, e.captured_at, e.captured_at
  FROM webhook_event e, webhook_subscriber s
 ORDER BY e.id;

-- The dispatcher's backlog: due pending deliveries of the next records.
INSERT INTO webhook_event (model, record_id, event, captured_at, routed_at, delivery_count, routed_seq)
SELECT 'res.partner', :sent + r, 'create', now() - interval '10 minutes', now() - interval '10 minutes', 1,
       nextval('webhook_event_routed_seq')
  FROM generate_series(1, :size) r;
INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, first_event_id, last_event_id,
                              first_captured_at, last_captured_at, next_attempt_at, created_at)
SELECT s.id, 'res.partner', e.record_id, 'create', e.id, e.id, e.captured_at, e.captured_at,
       e.captured_at, e.captured_at
  FROM webhook_event e, webhook_subscriber s
 WHERE e.record_id > :sent
 ORDER BY e.id;

-- The router's backlog: new records; every tenth event a write to a record of the backlog
-- (it merges into its pending delivery), and in the first 5,000 events every tenth but five a
-- write to one of the 500 records with a long history (one event per record and transaction).
INSERT INTO webhook_event (model, record_id, event, changed_fields)
SELECT 'res.partner', w.record_id,
       CASE WHEN w.record_id <= :sent + :size THEN 'write' ELSE 'create' END,
       CASE WHEN w.record_id <= :sent + :size THEN ARRAY['email'] END
  FROM (SELECT CASE WHEN r % 10 = 0 THEN :sent + 1 + (r * 7919) % :size
                    WHEN r % 10 = 5 AND r <= 5000 THEN 1 + r / 10
                    ELSE :sent + :size + r END AS record_id
          FROM generate_series(1, :size) r) w;
SQL
  q -c "VACUUM ANALYZE" >/dev/null
  measure_sql | q -At -v size="$size" -v state=clean
  # Real work without a vacuum between: what a steady load leaves behind.
  q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE PROCEDURE pg_temp.churn(p_rounds integer)
LANGUAGE plpgsql AS \$\$
DECLARE
    v_sub bigint := (SELECT id FROM webhook_subscriber WHERE name = 'bench');
    v_ids bigint[];
    v_next bigint := (SELECT max(record_id) FROM webhook_event) + 1;
BEGIN
    FOR i IN 1 .. p_rounds LOOP
        SELECT array_agg(id) INTO v_ids
          FROM webhook_claim_deliveries('churn', 32, interval '60 s', ARRAY[v_sub], ARRAY[32]);
        CONTINUE WHEN v_ids IS NULL;
        PERFORM webhook_finish_sent('churn', v_ids,
                    array_fill(now(), ARRAY[cardinality(v_ids)]), array_fill(1, ARRAY[cardinality(v_ids)]),
                    array_fill('msg'::text, ARRAY[cardinality(v_ids)]), array_fill(200, ARRAY[cardinality(v_ids)]),
                    array_fill(''::text, ARRAY[cardinality(v_ids)]));
        -- New events at the tail of the router's backlog, the oldest 32 routed.
        INSERT INTO webhook_event (model, record_id, event)
        SELECT 'res.partner', v_next + r, 'create' FROM generate_series(0, 31) r;
        v_next := v_next + 32;
        PERFORM webhook_route_events(32);
        COMMIT;
    END LOOP;
END
\$\$;
CALL pg_temp.churn($CHURN);
SQL
  measure_sql | q -At -v size="$size" -v state="churned ($CHURN rounds)"
done
