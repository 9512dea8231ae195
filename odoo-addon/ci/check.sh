#!/usr/bin/env bash
# Checks the Odoo addon(s) in odoo-addon/.
#
#   (a) always: static checks (Python compiles, XML parses, views name real models and fields,
#       the access CSV names real models and groups, manifest and OCA layout); a few seconds.
#   (b) when ODOO_SRC names an Odoo 18 source tree (the folder with odoo-bin): on fresh
#       databases, checks that installing without the sidecar's schema fails with the message
#       that says to run migrate, then applies ../sql/V*.sql in order, installs the addon and
#       runs its tests (--test-tags /webhook_sidecar). Fails if no test ran or any failed.
#
# Environment: ODOO_SRC (optional), ODOO_PYTHON (a Python with Odoo's dependencies; default: the
# first of python3, /usr/bin/python3 that imports psycopg2), PGHOST (127.0.0.1), PGPORT (5432),
# PGUSER (postgres), PGPASSWORD (optional), KEEP_DB=1 keeps the test databases.
# Exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
addons_dir="$(dirname "$here")"
sql_dir="$(dirname "$addons_dir")/sql"
addon=webhook_sidecar

fail() { echo "FAILED: $*" >&2; exit 1; }

echo "== static checks"
python3 "$here/static_check.py" || fail "static checks (see above)"

if [ -z "${ODOO_SRC:-}" ]; then
    echo "SKIPPED Odoo tests: ODOO_SRC is not set"
    exit 0
fi

# ------------------------------------------------------------------------------ Odoo tests
[ -f "$ODOO_SRC/odoo-bin" ] || fail "ODOO_SRC=$ODOO_SRC has no odoo-bin: point it at an Odoo 18 source tree"
ls "$sql_dir"/V*.sql >/dev/null 2>&1 || fail "no V*.sql in $sql_dir"

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

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
addons_path="$addons_dir"
for folder in "$ODOO_SRC/addons" "$ODOO_SRC/odoo/addons"; do
    [ -d "$folder" ] && addons_path="$folder,$addons_path"
done
odoo_args=(--addons-path="$addons_path" --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER"
           --stop-after-init --no-http --without-demo=all)
[ -n "${PGPASSWORD:-}" ] && odoo_args+=(--db_password="$PGPASSWORD")

db_bare="webhook_addon_bare_$$"
db_test="webhook_addon_test_$$"
work="$(mktemp -d)"
cleanup() {
    if [ "${KEEP_DB:-0}" != 1 ]; then
        dropdb --if-exists "$db_bare" >/dev/null 2>&1 || true
        dropdb --if-exists "$db_test" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

show_log() { echo "---- last lines of the Odoo log ($1)" >&2; tail -n "${2:-60}" "$1" >&2; }

echo "== Odoo: installing without the sidecar schema must fail with a clear message"
createdb "$db_bare" || fail "cannot create database $db_bare on $PGHOST:$PGPORT as $PGUSER"
if "$odoo_python" "$ODOO_SRC/odoo-bin" "${odoo_args[@]}" -d "$db_bare" -i "$addon" >"$work/bare.log" 2>&1; then
    show_log "$work/bare.log"
    fail "the addon installed although the sidecar schema is missing"
fi
if grep -q "invalid module names" "$work/bare.log"; then
    show_log "$work/bare.log"; fail "Odoo ignored the addon (invalid module names: is ODOO_SRC an Odoo 18 tree?)"
fi
grep -q 'The webhook sidecar schema is missing: run `java -jar odoo-webhook-sidecar.jar migrate`' "$work/bare.log" \
    || { show_log "$work/bare.log"; fail "install without schema failed, but not with the expected message"; }
echo "ok: refused with \"The webhook sidecar schema is missing: run \`java -jar odoo-webhook-sidecar.jar migrate\` (or apply sql/) first.\""

echo "== Odoo: schema from sql/, install $addon, run its tests"
createdb "$db_test" || fail "cannot create database $db_test"
while IFS= read -r file; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$db_test" -f "$file" >"$work/sql.log" 2>&1 \
        || { cat "$work/sql.log" >&2; fail "applying $(basename "$file")"; }
    echo "applied $(basename "$file")"
done < <(ls "$sql_dir"/V*.sql | sort -V)

status=0
"$odoo_python" "$ODOO_SRC/odoo-bin" "${odoo_args[@]}" -d "$db_test" -i "$addon" \
    --test-tags "/$addon" >"$work/test.log" 2>&1 || status=$?

log="$work/test.log"
if grep -q "invalid module names" "$log"; then
    show_log "$log"; fail "Odoo ignored the addon (invalid module names: wrong series in the manifest?)"
fi
result="$(grep -Eo '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -n 1 || true)"
if [ -z "$result" ]; then
    show_log "$log"; fail "no test result in the Odoo log (0 tests ran?)"
fi
read -r failed errors total < <(echo "$result" | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/')
echo "Odoo tests: $result"
if [ "$total" -eq 0 ]; then
    show_log "$log"; fail "0 tests ran"
fi
if [ "$failed" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$status" -ne 0 ]; then
    grep -E " (ERROR|CRITICAL) " -A 25 "$log" | head -n 200 >&2 || true
    fail "Odoo tests: $failed failed, $errors error(s) of $total (odoo-bin exit $status)"
fi
if grep -Eq " (ERROR|CRITICAL) " "$log"; then
    grep -E " (ERROR|CRITICAL) " -A 10 "$log" | head -n 100 >&2
    fail "errors in the Odoo log although the tests passed"
fi
echo "PASSED Odoo tests: $total tests, 0 failed, 0 errors"
