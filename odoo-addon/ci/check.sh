#!/usr/bin/env bash
# Checks the Odoo addon(s) in odoo-addon/.
#
#   (a) always: static checks (Python compiles, XML parses, views name real models and fields,
#       the access CSV names real models and groups, manifest and OCA layout, nothing that only
#       one supported Odoo series understands); a few seconds.
#   (b) for each supported Odoo series (18, 19) whose source tree is given (the folder with
#       odoo-bin): on fresh databases, checks that installing without the sidecar's schema
#       fails with the message that says to run migrate, then applies the schema from ../sql
#       (install.sql when it exists, else V*.sql in version order), installs the addon and runs
#       its tests (--test-tags /webhook_sidecar). Fails if a given series ran no test, if any
#       failed, or if Odoo logged an ERROR. A series without a tree is skipped, and said so.
#   (c) for each series run in (b): the ORM end-to-end tests (orm_e2e.py) on a fresh database with
#       `sale` and the addon installed: Odoo's ORM changes records, a real sidecar process (the
#       jar, which must be built: mvn -DskipTests package) delivers them to a receiver on
#       127.0.0.1 that verifies every signature, and the bodies are checked (a sale order's
#       confirmation through a domain and a field filter, an e-mail change, an unlink, three
#       writes merged during an outage). Then a duplicate of that database goes through a real
#       `odoo-bin neutralize`: its subscribers must be inactive and its pull tokens revoked.
#
# Environment:
#   ODOO18_SRC, ODOO19_SRC  Odoo source trees, one per series (optional).
#   ODOO_SRC                an Odoo source tree of either series (optional; the series is read
#                           from its odoo/release.py); ODOO<series>_SRC wins when both are set.
#   ODOO_PYTHON             a Python with Odoo's dependencies (default: the first of python3,
#                           /usr/bin/python3 that imports psycopg2, lxml and werkzeug).
#   PGHOST (127.0.0.1), PGPORT (5432), PGPASSWORD (optional),
#   PGUSER                  a role that may create databases (default: a role named like the
#                           system user if there is one, else postgres). Odoo 19 refuses the
#                           role postgres, so give it another one, e.g. a superuser role root.
#   KEEP_DB=1               keeps the test databases.
#   ODOO_LOG_DIR            a folder that keeps the Odoo logs and the sidecar's (default: they
#                           are deleted).
# Needs, when a series runs: Java 17 on the PATH and target/odoo-webhook-sidecar.jar (built by
# mvn -DskipTests package), for (c).
# Exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
addons_dir="$(dirname "$here")"
sql_dir="$(dirname "$addons_dir")/sql"
addon=webhook_sidecar
supported_series=(18 19)
jar="$(dirname "$addons_dir")/target/odoo-webhook-sidecar.jar"

fail() { echo "FAILED: $*" >&2; exit 1; }

echo "== static checks"
python3 "$here/static_check.py" || fail "static checks (see above)"

# ------------------------------------------------------------------------------ which trees
series_of_tree() {  # prints the major version of the Odoo tree in $1, e.g. 18
    sed -nE 's/^version_info = \(([0-9]+), .*/\1/p' "$1/odoo/release.py" 2>/dev/null | head -n 1
}

declare -A tree_of=()
if [ -n "${ODOO_SRC:-}" ]; then
    [ -f "$ODOO_SRC/odoo-bin" ] || fail "ODOO_SRC=$ODOO_SRC has no odoo-bin: point it at an Odoo source tree"
    series="$(series_of_tree "$ODOO_SRC")"
    [ -n "$series" ] || fail "ODOO_SRC=$ODOO_SRC: cannot read the Odoo series from odoo/release.py"
    tree_of[$series]="$ODOO_SRC"
fi
for series in "${supported_series[@]}"; do
    variable="ODOO${series}_SRC"
    [ -n "${!variable:-}" ] && tree_of[$series]="${!variable}"
done
for series in "${!tree_of[@]}"; do
    case " ${supported_series[*]} " in
        *" $series "*) ;;
        *) fail "${tree_of[$series]} is an Odoo $series tree; this addon supports Odoo ${supported_series[*]}" ;;
    esac
done

to_run=()
for series in "${supported_series[@]}"; do
    if [ -n "${tree_of[$series]:-}" ]; then
        to_run+=("$series")
    else
        echo "SKIPPED Odoo $series tests: ODOO${series}_SRC is not set (nor ODOO_SRC to an Odoo $series tree)"
    fi
done
if [ ${#to_run[@]} -eq 0 ]; then
    exit 0
fi

# ------------------------------------------------------------------------------ shared set-up
[ -f "$jar" ] || fail "target/odoo-webhook-sidecar.jar is not built (the ORM end-to-end tests run it): run \`mvn -DskipTests package\` first"
command -v java >/dev/null || fail "no java on the PATH (the ORM end-to-end tests run the sidecar jar): install Java 17"
if [ -f "$sql_dir/install.sql" ]; then
    schema_files=("$sql_dir/install.sql")
else
    mapfile -t schema_files < <(ls "$sql_dir"/V*.sql 2>/dev/null | sort -V)
    [ ${#schema_files[@]} -gt 0 ] || fail "neither install.sql nor V*.sql in $sql_dir"
fi

odoo_python="${ODOO_PYTHON:-}"
if [ -z "$odoo_python" ]; then
    for candidate in python3 /usr/bin/python3; do
        if "$candidate" -c 'import psycopg2, lxml, werkzeug' >/dev/null 2>&1; then
            odoo_python="$candidate"
            break
        fi
    done
fi
[ -n "$odoo_python" ] || fail "no Python with Odoo's dependencies (psycopg2, lxml, werkzeug): set ODOO_PYTHON"

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"
if [ -z "${PGUSER:-}" ]; then
    PGUSER=postgres
    system_user="$(id -un)"
    if psql -X -q -U "$system_user" -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
        PGUSER="$system_user"
    fi
fi
export PGUSER

work="$(mktemp -d)"
databases=()
pid_files=()
cleanup() {
    # Processes of the end-to-end tests still running (they end their sidecar themselves unless
    # this script is stopped): by pid, from the files written when they started. SIGTERM, up to
    # 30 s to stop (the sidecar drains), then SIGKILL; before their databases are dropped.
    local pid_file pid running=() tries
    for pid_file in "${pid_files[@]}"; do
        pid="$(cat "$pid_file" 2>/dev/null || true)"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            running+=("$pid")
        fi
    done
    for pid in "${running[@]}"; do
        for ((tries = 0; tries < 60; tries++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ "${KEEP_DB:-0}" != 1 ]; then
        for db in "${databases[@]}"; do
            dropdb --if-exists "$db" >/dev/null 2>&1 || true
        done
    fi
    if [ -n "${ODOO_LOG_DIR:-}" ]; then
        mkdir -p "$ODOO_LOG_DIR" && cp "$work"/*.log "$ODOO_LOG_DIR"/ 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

show_log() { echo "---- last lines of the Odoo log ($1)" >&2; tail -n "${2:-60}" "$1" >&2; }

apply_schema() {  # $1: database
    local file
    for file in "${schema_files[@]}"; do
        # From the sql folder, so that install.sql may include its files by relative path.
        (cd "$sql_dir" && psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$file") >"$work/sql.log" 2>&1 \
            || { cat "$work/sql.log" >&2; fail "applying $(basename "$file") to $1"; }
        echo "applied $(basename "$file")"
    done
}

summary=()

# Runs the install checks and the tests on one Odoo series. $1: series, $2: its tree.
run_series() {
    local series="$1" src="$2"
    [ -f "$src/odoo-bin" ] || fail "ODOO${series}_SRC=$src has no odoo-bin: point it at an Odoo $series source tree"
    local found
    found="$(series_of_tree "$src")"
    [ "$found" = "$series" ] || fail "ODOO${series}_SRC=$src is an Odoo ${found:-?} tree, not Odoo $series"
    if [ "$series" -ge 19 ] && [ "$PGUSER" = postgres ]; then
        fail "Odoo $series refuses the database role postgres: set PGUSER to another role that may create databases"
    fi

    local addons_path="$addons_dir" folder
    for folder in "$src/addons" "$src/odoo/addons"; do
        [ -d "$folder" ] && addons_path="$folder,$addons_path"
    done
    local odoo_args=(--addons-path="$addons_path" --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER"
                     --stop-after-init --no-http)
    # Odoo 19 installs no demo data unless asked and only warns about --without-demo.
    [ "$series" -lt 19 ] && odoo_args+=(--without-demo=all)
    [ -n "${PGPASSWORD:-}" ] && odoo_args+=(--db_password="$PGPASSWORD")

    local db_bare="webhook_addon_bare_${series}_$$" db_test="webhook_addon_test_${series}_$$"
    databases+=("$db_bare" "$db_test")

    echo "== Odoo $series: installing without the sidecar schema must fail with a clear message"
    createdb "$db_bare" || fail "cannot create database $db_bare on $PGHOST:$PGPORT as $PGUSER"
    local bare_log="$work/bare-$series.log"
    if "$odoo_python" "$src/odoo-bin" "${odoo_args[@]}" -d "$db_bare" -i "$addon" >"$bare_log" 2>&1; then
        show_log "$bare_log"
        fail "Odoo $series: the addon installed although the sidecar schema is missing"
    fi
    if grep -q "invalid module names" "$bare_log"; then
        show_log "$bare_log"; fail "Odoo $series ignored the addon (invalid module names: a manifest version for another series?)"
    fi
    grep -q 'The webhook sidecar schema is missing: run `java -jar odoo-webhook-sidecar.jar migrate`' "$bare_log" \
        || { show_log "$bare_log"; fail "Odoo $series: install without schema failed, but not with the expected message"; }
    echo "ok: refused with \"The webhook sidecar schema is missing: run \`java -jar odoo-webhook-sidecar.jar migrate\` (or apply sql/) first.\""

    echo "== Odoo $series: schema from sql/, install $addon, run its tests"
    createdb "$db_test" || fail "cannot create database $db_test"
    apply_schema "$db_test"

    # With an HTTP server on a free loopback port: the browser tests need one (Odoo skips them
    # where no Chrome or Chromium is installed).
    local status=0 log="$work/test-$series.log" http_port
    http_port="$("$odoo_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$odoo_python" "$src/odoo-bin" "${odoo_args[@]/--no-http/--http-interface=127.0.0.1}" --http-port="$http_port" \
        -d "$db_test" -i "$addon" --test-tags "/$addon" >"$log" 2>&1 || status=$?

    if grep -q "invalid module names" "$log"; then
        show_log "$log"; fail "Odoo $series ignored the addon (invalid module names: a manifest version for another series?)"
    fi
    local result failed errors total
    result="$(grep -Eo '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -n 1 || true)"
    if [ -z "$result" ]; then
        show_log "$log"; fail "Odoo $series: no test result in the Odoo log (0 tests ran?)"
    fi
    read -r failed errors total < <(echo "$result" | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/')
    echo "Odoo $series tests: $result"
    if [ "$total" -eq 0 ]; then
        show_log "$log"; fail "Odoo $series: 0 tests ran"
    fi
    if [ "$failed" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$status" -ne 0 ]; then
        grep -E " (ERROR|CRITICAL) " -A 25 "$log" | head -n 200 >&2 || true
        fail "Odoo $series tests: $failed failed, $errors error(s) of $total (odoo-bin exit $status)"
    fi
    if grep -Eq " (ERROR|CRITICAL) " "$log"; then
        grep -E " (ERROR|CRITICAL) " -A 10 "$log" | head -n 100 >&2
        fail "Odoo $series: errors in the Odoo log although the tests passed"
    fi
    echo "PASSED Odoo $series tests: $total tests, 0 failed, 0 errors"
    if grep -Eq "(Chrome|chrome).*not found|websocket-client module is not installed" "$log"; then
        echo "note: Odoo $series skipped the browser tests (no Chrome or Chromium, or no python3-websocket)"
    fi
    summary+=("Odoo $series: $total passed")
    run_end_to_end "$series" "$src"
}

count_in() {  # $1: database, $2: a SELECT count(*); prints the count
    psql -X -Atq -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>"$work/count.log" \
        || { cat "$work/count.log" >&2; fail "cannot read from $1: $2"; }
}

# The ORM end-to-end tests and the neutralization of a duplicate, on one series. Called by
# run_series: uses its odoo_args. $1: series, $2: its tree.
run_end_to_end() {
    local series="$1" src="$2"
    local db_e2e="webhook_addon_e2e_${series}_$$" db_copy="webhook_addon_neutralized_${series}_$$"
    databases+=("$db_e2e" "$db_copy")
    local connection_args=(--addons-path="$addons_path" --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER")
    [ -n "${PGPASSWORD:-}" ] && connection_args+=(--db_password="$PGPASSWORD")

    echo "== Odoo $series: ORM end-to-end: sale and $addon installed, a real sidecar, a verifying receiver"
    createdb "$db_e2e" || fail "cannot create database $db_e2e"
    apply_schema "$db_e2e"
    local log="$work/e2e-install-$series.log"
    "$odoo_python" "$src/odoo-bin" "${odoo_args[@]}" -d "$db_e2e" -i "sale,$addon" >"$log" 2>&1 \
        || { show_log "$log"; fail "Odoo $series: installing sale and $addon for the end-to-end tests"; }
    if grep -Eq " (ERROR|CRITICAL) " "$log"; then
        grep -E " (ERROR|CRITICAL) " -A 10 "$log" | head -n 60 >&2
        fail "Odoo $series: errors in the Odoo log while installing sale and $addon"
    fi

    local pid_file="$work/sidecar-$series.pid" sidecar_log="$work/sidecar-$series.log"
    # In the background and waited for, so that a signal to this script runs its clean-up at once
    # (which ends the test, then the sidecar, by pid).
    "$odoo_python" "$here/orm_e2e.py" --odoo-src "$src" --jar "$jar" --db "$db_e2e" \
        --pid-file "$pid_file" --sidecar-log "$sidecar_log" \
        -- "${connection_args[@]}" --logfile="$work/e2e-orm-$series.log" --log-level=warn &
    echo $! >"$work/e2e-$series.pid"
    pid_files+=("$work/e2e-$series.pid" "$pid_file")
    wait $! || { show_log "$sidecar_log" 40; fail "Odoo $series: ORM end-to-end tests (see above)"; }
    echo "PASSED Odoo $series ORM end-to-end tests"

    echo "== Odoo $series: odoo-bin neutralize on a duplicate deactivates subscribers and revokes tokens"
    WEBHOOK_DB_URL="jdbc:postgresql://$PGHOST:$PGPORT/$db_e2e" WEBHOOK_DB_USER="$PGUSER" WEBHOOK_DB_PASSWORD="${PGPASSWORD:-}" \
        java -jar "$jar" token create --name e2e-app --models res.partner >"$work/token.log" 2>&1 \
        || { cat "$work/token.log" >&2; fail "Odoo $series: token create on $db_e2e"; }
    # What the database manager's Duplicate does (CREATE DATABASE ... TEMPLATE), then neutralized.
    createdb -T "$db_e2e" "$db_copy" || fail "cannot duplicate $db_e2e into $db_copy"
    local active_sql="SELECT count(*) FROM webhook_subscriber WHERE active"
    local tokens_sql="SELECT count(*) FROM webhook_api_token WHERE revoked_at IS NULL"
    local active_before tokens_before
    active_before="$(count_in "$db_copy" "$active_sql")"
    tokens_before="$(count_in "$db_copy" "$tokens_sql")"
    [ "$active_before" -gt 0 ] && [ "$tokens_before" -gt 0 ] \
        || fail "Odoo $series: the duplicate has $active_before active subscribers and $tokens_before live tokens before neutralization (expected some of each)"
    log="$work/neutralize-$series.log"
    "$odoo_python" "$src/odoo-bin" neutralize "${connection_args[@]}" -d "$db_copy" >"$log" 2>&1 \
        || { show_log "$log"; fail "Odoo $series: odoo-bin neutralize -d $db_copy"; }
    local active_after tokens_after active_original
    active_after="$(count_in "$db_copy" "$active_sql")"
    tokens_after="$(count_in "$db_copy" "$tokens_sql")"
    active_original="$(count_in "$db_e2e" "$active_sql")"
    [ "$active_after" = 0 ] || fail "Odoo $series: after odoo-bin neutralize, $active_after subscribers are still active"
    [ "$tokens_after" = 0 ] || fail "Odoo $series: after odoo-bin neutralize, $tokens_after pull tokens are not revoked"
    [ "$active_original" = "$active_before" ] \
        || fail "Odoo $series: neutralizing the duplicate changed the original ($active_original active subscribers, was $active_before)"
    echo "ok: odoo-bin neutralize: $active_before subscribers deactivated, $tokens_before token(s) revoked; the original untouched"
    summary+=("Odoo $series: ORM end-to-end and neutralize passed")
}

for series in "${to_run[@]}"; do
    run_series "$series" "${tree_of[$series]}"
done
(IFS=";"; echo "== Odoo addon tests: ${summary[*]}" | sed "s/;/; /g")
