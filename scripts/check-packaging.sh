#!/usr/bin/env bash
# Packaging checks, fast (well under two minutes), run by CI after `mvn -B verify`:
#  (a) every command of the README's table answers `COMMAND --help` with exit 0;
#  (b) docker-compose.yml parses and has the demo's services, start order, and the documented
#      commands; the Dockerfile and .dockerignore agree with it (no Docker engine is needed);
#  (c) the compose demo's commands, run here against a temporary database: migrate, the demo
#      setup, the sidecar and both example receivers; a real delivery must be VERIFIED by each
#      receiver, a tampered one refused with 401, /health must pass the image's health check.
# Needs: target/odoo-webhook-sidecar.jar, PostgreSQL at 127.0.0.1:5432 (trust, user postgres),
# python3 with yaml (python3-yaml), node and npm (examples/node-receiver), curl.
# Every process it starts is stopped by pid on exit, and the database is dropped.
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=target/odoo-webhook-sidecar.jar
PG=(-h 127.0.0.1 -p 5432 -U postgres)
WAIT_SECONDS=30
DB="webhook_packaging_$$"
WORK="$(mktemp -d)"
PIDS=()
DB_CREATED=no
SUMMARY=()

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; SUMMARY+=("$*"); }

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$DB_CREATED" = yes ]; then dropdb "${PG[@]}" --if-exists --force "$DB" || true; fi
  if [ "$rc" -ne 0 ]; then
    for log in "$WORK"/*.log; do
      [ -f "$log" ] && { echo "--- $(basename "$log") (last lines)"; tail -n 20 "$log"; echo; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# Waits up to WAIT_SECONDS for a command to succeed.
await() {
  local what="$1"; shift
  for _ in $(seq $((WAIT_SECONDS * 5))); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${WAIT_SECONDS}s waiting for $what"
}

# The port a receiver printed on its first line ("Listening on http://127.0.0.1:PORT/").
listening_port() { sed -n 's#^Listening on http://[^ ]*:\([0-9][0-9]*\)/$#\1#p' "$1" | head -n 1; }

[ -f "$JAR" ] || fail "$JAR is missing: build it first (mvn -B verify, or mvn -q -DskipTests package)"

echo "== (a) every command of the README's table answers --help"
mapfile -t COMMANDS < <(python3 - <<'PY'
import re
text = open("README.md", encoding="utf-8").read()
section = text.split("\n## Commands", 1)[1].split("\n## ", 1)[0]
for row in section.splitlines():
    if not row.startswith("| `"):
        continue
    for code in re.findall(r"`([^`]+)`", row.split(" | ")[0]):
        words = []
        for word in code.split():
            if not re.fullmatch(r"[a-z]+(-[a-z]+)*", word):
                break
            words.append(word)
        if words:
            print(" ".join(words))
PY
)
[ "${#COMMANDS[@]}" -ge 10 ] || fail "found only ${#COMMANDS[@]} commands in the README's table"
for cmd in "${COMMANDS[@]}"; do
  # shellcheck disable=SC2086  # two-word commands split on purpose
  out="$(java -jar "$JAR" $cmd --help)" || fail "\`$cmd --help\` exited non-zero"
  [[ "$out" == Usage:* ]] || fail "\`$cmd --help\` printed no usage: $out"
done
pass "${#COMMANDS[@]} documented commands answer --help: $(IFS=,; echo "${COMMANDS[*]}")"

echo "== (b) docker-compose.yml, Dockerfile and .dockerignore"
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "Installing python3-yaml"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-yaml >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-yaml >/dev/null; }
fi
# Prints shell assignments of what part (c) runs: the compose services' own commands.
python3 - > "$WORK/compose.env" <<'PY'
import json, os, re, shlex, sys
import yaml

def check(ok, message):
    if not ok:
        sys.exit("docker-compose.yml: " + message)

compose = yaml.safe_load(open("docker-compose.yml", encoding="utf-8"))
services = compose.get("services", {})
for name in ("db", "migrate", "odoo-init", "demo-setup", "odoo", "sidecar", "receiver"):
    check(name in services, f"service {name} is missing")

def after(service, other, condition):
    got = (services[service].get("depends_on") or {}).get(other, {}).get("condition")
    check(got == condition, f"{service} must depend on {other} with {condition}, has {got}")

after("migrate", "db", "service_healthy")
after("odoo-init", "migrate", "service_completed_successfully")
after("demo-setup", "odoo-init", "service_completed_successfully")
after("odoo", "odoo-init", "service_completed_successfully")
after("sidecar", "demo-setup", "service_completed_successfully")
check("healthcheck" in services["db"], "db needs a healthcheck for service_healthy")

# Odoo: the official 18 image, the addon mounted as an extra addons path and installed.
for name in ("odoo-init", "odoo"):
    s = services[name]
    check(s.get("image") == "odoo:18", f"{name} must use the image odoo:18")
    check("./odoo-addon:/mnt/extra-addons:ro" in s.get("volumes", []), f"{name} must mount ./odoo-addon")
init = services["odoo-init"]["command"]
check("--stop-after-init" in init and "webhook_sidecar" in init[init.index("-i") + 1].split(","),
      "odoo-init must install webhook_sidecar and stop")
check(os.path.isfile("odoo-addon/webhook_sidecar/__manifest__.py"), "odoo-addon/webhook_sidecar is missing")

# The sidecar's image: built here; its entrypoint is the documented `java -jar ... COMMAND`.
dockerfile = open("Dockerfile", encoding="utf-8").read()
entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.M).group(1))
check(entry == ["java", "-jar", "/app/odoo-webhook-sidecar.jar"], f"Dockerfile ENTRYPOINT is {entry}")
check(re.search(r"^HEALTHCHECK .*CMD \[\"/app/healthcheck.sh\"\]$", dockerfile, re.M) is not None,
      "Dockerfile must run /app/healthcheck.sh as HEALTHCHECK")
check("WEBHOOK_HTTP_HOST=0.0.0.0" in dockerfile, "the image must set WEBHOOK_HTTP_HOST=0.0.0.0")
check(re.search(r"^USER (?!root)\w+$", dockerfile, re.M) is not None, "the image must run as a non-root USER")
allowed = [l[1:].rstrip("/") for l in open(".dockerignore", encoding="utf-8").read().split()
           if l.startswith("!")]
for src in re.findall(r"^COPY (?:--chmod=\S+ )?(\S+) \S+$", dockerfile, re.M):
    check(os.path.exists(src), f"Dockerfile copies {src}, which does not exist")
    check(any(src == a or src.startswith(a + "/") for a in allowed), f".dockerignore leaves out {src}")
for name in ("migrate", "demo-setup", "sidecar"):
    check(services[name].get("build") == ".", f"{name} must build this repository's Dockerfile")
check(services["migrate"]["command"] == ["migrate"], "migrate must run `migrate`")
check(services["sidecar"]["command"] == ["run"], "sidecar must run `run`")
for name in ("migrate", "demo-setup", "sidecar"):
    check(services[name]["environment"]["WEBHOOK_DB_URL"].startswith("jdbc:postgresql://db:"),
          f"{name} must reach the database service db")
check(services["sidecar"].get("stop_grace_period") == "30s", "sidecar needs stop_grace_period above 20s")

# The demo setup runs deploy/demo-setup.sh; the receiver is examples/receiver.py.
setup = services["demo-setup"]
check(setup["entrypoint"] == ["bash", "/app/demo-setup.sh"], "demo-setup must run /app/demo-setup.sh")
check("./deploy/demo-setup.sh:/app/demo-setup.sh:ro" in setup["volumes"], "demo-setup must mount deploy/demo-setup.sh")
receiver = services["receiver"]
command = receiver["command"]
check(command[:2] == ["python3", "/examples/receiver.py"] and "./examples:/examples:ro" in receiver["volumes"],
      "receiver must run examples/receiver.py")
options = dict(zip(command[2::2], command[3::2]))
check(set(options) == {"--host", "--port"} and options["--host"] == "0.0.0.0",
      f"receiver options must be --host 0.0.0.0 --port N, are {command[2:]}")
secret = receiver["environment"]["WEBHOOK_SECRET"]
check(re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret) is not None, "the demo secret must be whsec_ + 32 bytes in base64")
check(setup["environment"]["DEMO_SECRET"] == secret, "demo-setup and receiver must share the demo secret")
check(setup["environment"]["DEMO_RECEIVER_URL"].startswith(f"http://receiver:{options['--port']}/"),
      "DEMO_RECEIVER_URL must point at the receiver service and its port")

# What part (c) runs here: the same commands, on 127.0.0.1 and a free port.
local_receiver = ["python3", "examples/receiver.py", "--host", "127.0.0.1", "--port", "0"]
print("DEMO_SECRET=" + shlex.quote(secret))
print("RECEIVER_CMD=(" + " ".join(shlex.quote(a) for a in local_receiver) + ")")
print("SIDECAR_CMD=(java -jar target/odoo-webhook-sidecar.jar " + " ".join(services["sidecar"]["command"]) + ")")
print("MIGRATE_CMD=(java -jar target/odoo-webhook-sidecar.jar " + " ".join(services["migrate"]["command"]) + ")")
PY
# shellcheck disable=SC1091
source "$WORK/compose.env"
COMPOSE_NOTE="parsed with python3 yaml"
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q || fail "docker compose config rejects docker-compose.yml"
  COMPOSE_NOTE="$COMPOSE_NOTE and docker compose config"
fi
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify deploy/odoo-webhook-sidecar.service || fail "systemd-analyze verify rejects the unit"
  COMPOSE_NOTE="$COMPOSE_NOTE; systemd unit passes systemd-analyze verify"
fi
pass "docker-compose.yml: 7 services, start order, documented commands ($COMPOSE_NOTE); Dockerfile and .dockerignore agree"

echo "== (c) the demo's commands against a temporary database, with both example receivers"
pg_isready "${PG[@]}" -q || fail "PostgreSQL does not answer at 127.0.0.1:5432"
createdb "${PG[@]}" "$DB"
DB_CREATED=yes
psql "${PG[@]}" -q -v ON_ERROR_STOP=1 "$DB" -c "CREATE TABLE res_partner (id serial PRIMARY KEY,
  name varchar, email varchar, write_date timestamp, write_uid integer)"
export WEBHOOK_DB_URL="jdbc:postgresql://127.0.0.1:5432/$DB" WEBHOOK_DB_USER=postgres WEBHOOK_DB_PASSWORD=

# As in compose: the receiver takes the demo secret from WEBHOOK_SECRET.
WEBHOOK_SECRET="$DEMO_SECRET" "${RECEIVER_CMD[@]}" > "$WORK/python-receiver.log" 2>&1 &
PIDS+=($!)
if [ ! -d examples/node-receiver/node_modules ]; then
  (cd examples/node-receiver && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1 \
    || { cat "$WORK/npm.log"; fail "npm ci failed in examples/node-receiver"; }
fi
NODE_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
WEBHOOK_SECRET="$NODE_SECRET" node examples/node-receiver/server.js --port 0 > "$WORK/node-receiver.log" 2>&1 &
PIDS+=($!)
await "the receivers to listen" bash -c "grep -q '^Listening' '$WORK/python-receiver.log' && grep -q '^Listening' '$WORK/node-receiver.log'"
PY_PORT="$(listening_port "$WORK/python-receiver.log")"
NODE_PORT="$(listening_port "$WORK/node-receiver.log")"

"${MIGRATE_CMD[@]}" > "$WORK/migrate.log"
for round in 1 2; do  # the compose demo may start twice: the setup must be re-runnable
  SIDECAR_JAR="$JAR" DEMO_SECRET="$DEMO_SECRET" DEMO_RECEIVER_URL="http://127.0.0.1:$PY_PORT/hooks" \
    bash deploy/demo-setup.sh > "$WORK/demo-setup-$round.log"
done
grep -q "exists already" "$WORK/demo-setup-2.log" || fail "the second demo setup did not find the subscriber"
java -jar "$JAR" subscriber add --name node --url "http://127.0.0.1:$NODE_PORT/hooks" \
  --models res.partner --secret "$NODE_SECRET" > /dev/null

HTTP_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
WEBHOOK_HTTP_PORT="$HTTP_PORT" "${SIDECAR_CMD[@]}" > "$WORK/sidecar.log" 2>&1 &
SIDECAR_PID=$!
PIDS+=("$SIDECAR_PID")
await "/health to answer 200 (deploy/healthcheck.sh, the image's health check)" \
  bash -c "deploy/healthcheck.sh '$HTTP_PORT' 2>/dev/null"

psql "${PG[@]}" -q -v ON_ERROR_STOP=1 "$DB" -c "INSERT INTO res_partner (name) VALUES ('Azure Interior')"
await "the Python receiver to log VERIFIED" grep -q '^VERIFIED msg_.*"res.partner"' "$WORK/python-receiver.log"
await "the Node receiver to log VERIFIED" grep -q '^VERIFIED msg_.*"res.partner"' "$WORK/node-receiver.log"
pass "a real delivery was VERIFIED by examples/receiver.py and by examples/node-receiver (standardwebhooks)"

# Tampered requests: a wrong signature, and a body changed after signing with the right secret.
sign() {  # sign SECRET ID TIMESTAMP BODY -> v1,<base64 HMAC>
  python3 -c 'import base64, hashlib, hmac, sys
key = base64.b64decode(sys.argv[1].removeprefix("whsec_"))
print("v1," + base64.b64encode(hmac.new(key, ".".join(sys.argv[2:]).encode(), hashlib.sha256).digest()).decode())' "$@"
}
post() {  # post PORT ID TIMESTAMP SIGNATURE BODY -> HTTP status
  curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$1/hooks" \
    -H 'Content-Type: application/json' -H "webhook-id: $2" -H "webhook-timestamp: $3" \
    -H "webhook-signature: $4" --data-binary "$5"
}
NOW="$(date +%s)"
BODY='{"type":"res.partner.write","data":{"model":"res.partner","record_id":1,"event":"write"}}'
for target in "python:$PY_PORT:$DEMO_SECRET" "node:$NODE_PORT:$NODE_SECRET"; do
  IFS=: read -r name port secret <<< "$target"
  good="$(sign "$secret" msg_check "$NOW" "$BODY")"
  code="$(post "$port" msg_check "$NOW" "v1,$(head -c 32 /dev/urandom | base64)" "$BODY")"
  [ "$code" = 401 ] || fail "$name receiver answered $code to a wrong signature (want 401)"
  code="$(post "$port" msg_check "$NOW" "$good" "${BODY/\"record_id\":1/\"record_id\":2}")"
  [ "$code" = 401 ] || fail "$name receiver answered $code to a tampered body (want 401)"
  code="$(post "$port" msg_check "$NOW" "$good" "$BODY")"
  [[ "$code" = 2?? ]] || fail "$name receiver answered $code to a correctly signed request (want 2xx)"
done
pass "both receivers answer 401 to a wrong signature and to a tampered body, 2xx to a good one"

# Read whole, then searched: with pipefail, `curl | grep -q` fails whenever grep stops reading
# before curl has written all of a long /metrics (curl dies of SIGPIPE).
METRICS="$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics")" || fail "/metrics did not answer"
grep -q '^webhook_deliveries_sent_total' <<< "$METRICS" \
  || fail "/metrics has no webhook_deliveries_sent_total"
java -jar "$JAR" status > "$WORK/status.log" || fail "status failed"
kill -TERM "$SIDECAR_PID"
rc=0; wait "$SIDECAR_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "the sidecar exited $rc on SIGTERM (want 0)"
pass "/metrics answers, status runs, the sidecar stops with exit 0 on SIGTERM"

echo
echo "Packaging checks passed:"
printf '  - %s\n' "${SUMMARY[@]}"
echo "Not exercised here: building the image and running the compose stack (needs a Docker engine)."
