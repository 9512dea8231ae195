#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# What capture costs the writing backend, in instructions: a measure that the load of a shared
# machine does not move (issue 22, target 5: ours against the cheapest in-transaction capture).
#
# pgbench's TPS on 2 shared cores swings by a third between runs of one variant, which hides a
# change of 10% in the trigger. valgrind counts the instructions a process executes; for the
# same binary, files and statements the count repeats to a few parts in 10,000 whatever else
# the machine does. So this script runs each workload in a single-user PostgreSQL backend
# (`postgres --single`: no client, no other process) under valgrind, on a fresh copy of the
# database each time, for N1 and then N2 statements, and reports (count(N2) - count(N1)) /
# (N2 - N1): the instructions of one statement, its commit included, start-up excluded.
#
# Variants, on the harness's Odoo-like res_partner (src/main/resources/sql/res_partner.sql,
# ROWS rows, default 100,000):
#   none      no trigger;
#   cheapest  the cheapest in-transaction capture (src/main/resources/sql/cheapest_capture.sql);
#   ours      the capture of SQL_DIR (default the repository's sql/), res.partner tracked;
#   fields    ours with 5 captured fields (name, email, phone, street, active: issue 20's
#             figure), so that events carry their old and new values.
# Workloads (the statements of the harness's pgbench scripts, ids spread over the table):
#   update1    1-row UPDATE of write_date, write_uid and phone;
#   write      an Odoo write(): one transaction of two UPDATEs of a row (a field, then
#              write_date only);
#   insert1    1-row INSERT;
#   delete1    1-row DELETE;
#   update200  200-row UPDATE of write_date, write_uid and email (N divided by 10);
#   insert200  200-row INSERT ... SELECT (N divided by 10).
# Not measured: what the capture costs other backends (WAL flushes, locks) and the sidecar.
#
#     bench/capture-instructions.sh                        # markdown on stdout
#     SQL_DIR=/an/older/checkout/sql bench/capture-instructions.sh
#     WORKLOADS="update1 write" N1=100 N2=600 bench/capture-instructions.sh
#
# Needs: valgrind, PostgreSQL server binaries (PG_BIN, default /usr/lib/postgresql/15/bin).
# As root, the cluster runs as the postgres OS user (initdb refuses root). Its cluster lives in a
# temporary directory, on a Unix socket only (no TCP port), and is removed at the end.
# Takes about 8 minutes on 2 cores.

set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
SQL_DIR="${SQL_DIR:-$BENCH/../sql}"
SQL_DIR="$(cd "$SQL_DIR" && pwd)"
ROWS="${ROWS:-100000}"
N1="${N1:-100}"
N2="${N2:-600}"
WORKLOADS="${WORKLOADS:-update1 write insert1 delete1 update200 insert200}"
VARIANTS="none cheapest ours fields"

for tool in valgrind "$PG_BIN/postgres" "$PG_BIN/initdb" "$PG_BIN/pg_ctl" psql; do
  command -v "$tool" >/dev/null || {
    echo "capture-instructions: $tool not found (valgrind from Debian's valgrind; PG_BIN names PostgreSQL's server binaries)." >&2
    exit 2
  }
done

WORK="$(mktemp -d)"
AS=()
if [ "$(id -u)" = 0 ]; then
  AS=(runuser -u postgres --)
  chown postgres "$WORK"
fi
DATA="$WORK/data"
cleanup() {
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The databases: started once (sockets only) to build them, then stopped for single-user runs.
"${AS[@]}" "$PG_BIN/initdb" -D "$DATA" -A trust -U postgres >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -o "-c listen_addresses='' -k $WORK" -l "$WORK/log" -w start >/dev/null
q() { psql -X -q -v ON_ERROR_STOP=1 -h "$WORK" -U postgres "$@"; }
q -d postgres -c "CREATE DATABASE plain"
q -d plain -f "$BENCH/src/main/resources/sql/res_partner.sql"
q -d plain -c "SELECT bench_fill_res_partner($ROWS)" -c "VACUUM ANALYZE res_partner" >/dev/null
for v in none cheapest ours; do q -d postgres -c "CREATE DATABASE $v TEMPLATE plain"; done
q -d cheapest -f "$BENCH/src/main/resources/sql/cheapest_capture.sql"
q -d ours -f "$SQL_DIR/install.sql" >/dev/null 2>&1 || {
  echo "capture-instructions: $SQL_DIR/install.sql failed on a fresh database." >&2
  exit 1
}
q -d ours -c "SELECT webhook_track('res.partner')" >/dev/null
q -d postgres -c "CREATE DATABASE fields TEMPLATE ours"
q -d fields -c "SELECT webhook_set_captured_fields('res.partner', ARRAY['name', 'email', 'phone', 'street', 'active'])" >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -w stop >/dev/null

# The statements of one run: n statements of workload $1, each on its own line (single-user
# mode runs a line as one query; a line of several statements is one multi-statement query).
# Ids step through the table by a prime, so that no row is written twice in a run.
statements() {
  local workload=$1 n=$2 i id
  for ((i = 1; i <= n; i++)); do
    id=$(((i * 7919) % (ROWS - 210) + 1))
    case $workload in
      update1) echo "UPDATE res_partner SET write_date = now(), write_uid = 2, phone = '+32 2 $i' WHERE id = $id;" ;;
      write) echo "BEGIN; UPDATE res_partner SET write_date = now(), write_uid = 2, street = '$i Main Street' WHERE id = $id; UPDATE res_partner SET write_date = now(), write_uid = 2 WHERE id = $id; COMMIT;" ;;
      insert1) echo "INSERT INTO res_partner (name, complete_name, email, phone, company_id, type, lang, create_date, write_date, create_uid, write_uid) VALUES ('New $i', 'New $i', 'n$i@example.com', '+32 $i', 1, 'contact', 'en_US', now(), now(), 2, 2);" ;;
      delete1) echo "DELETE FROM res_partner WHERE id = $id;" ;;
      update200) echo "UPDATE res_partner SET write_date = now(), write_uid = 2, email = 'p$i@example.com' WHERE id BETWEEN $id AND $id + 199;" ;;
      insert200) echo "INSERT INTO res_partner (name, complete_name, email, company_id, type, lang, create_date, write_date, create_uid, write_uid) SELECT 'Imported $i-' || g, 'Imported ' || g, 'i' || g || '@example.com', 1, 'contact', 'en_US', now(), now(), 2, 2 FROM generate_series(1, 200) g;" ;;
      *) echo "capture-instructions: unknown workload $workload" >&2; exit 2 ;;
    esac
  done
}

single() { "${AS[@]}" "$PG_BIN/postgres" --single -D "$DATA" "$@"; }

# Instructions of a single-user backend running n statements of a workload on a fresh copy of
# a variant's database (autovacuum off, commits without waiting for the disk: neither is the
# capture's work, and both would make the count vary).
count() {
  local variant=$1 workload=$2 n=$3
  echo "DROP DATABASE IF EXISTS run" | single postgres >/dev/null 2>&1
  echo "CREATE DATABASE run TEMPLATE $variant" | single postgres >/dev/null 2>&1
  statements "$workload" "$n" > "$WORK/in.sql"
  chmod 644 "$WORK/in.sql"
  "${AS[@]}" valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
      "$PG_BIN/postgres" --single -D "$DATA" -c synchronous_commit=off -c autovacuum=off run \
      < "$WORK/in.sql" 2>&1 >/dev/null \
    | awk '/I[ ]+refs/ { gsub(",", "", $NF); print $NF }'
}

echo "Instructions per statement (commit included) of a single-user PostgreSQL backend, counted"
code="$(git -C "$SQL_DIR" describe --always --dirty 2>/dev/null || echo "an unversioned copy")"
echo "by valgrind; res_partner of $ROWS rows; ours from the sql/ of $code; $N1 and $N2 statements"
echo "(a tenth of these for 200 rows), each count on a fresh copy of the database."
echo
echo "| workload | no trigger | cheapest capture | ours | ours, 5 captured fields | added by the cheapest | added by ours | added by ours, 5 fields | ours ÷ cheapest, as a rate | 5 fields ÷ ours, as a rate |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for w in $WORKLOADS; do
  a=$N1 b=$N2
  case $w in update200 | insert200) a=$((N1 / 10)) b=$((N2 / 10)) ;; esac
  declare -A per=()
  for v in $VARIANTS; do
    c1=$(count "$v" "$w" "$a")
    c2=$(count "$v" "$w" "$b")
    per[$v]=$(((c2 - c1) / (b - a)))
  done
  awk -v w="$w" -v n="${per[none]}" -v c="${per[cheapest]}" -v o="${per[ours]}" -v f="${per[fields]}" 'BEGIN {
    printf "| %s | %d | %d | %d | %d | +%d | +%d | +%d | %.2f× | %.2f× |\n", w, n, c, o, f, c - n, o - n, f - n, c / o, o / f }'
  unset per
done
