#!/usr/bin/env bash
# Runs the benchmark harness in short mode (about 2-3 minutes): proves that every scenario still
# runs end to end and prints its figures. Debezium Server (scenarios 2 and 8) is not measured in
# short mode: its distribution is about 700 MB and it takes minutes to start and measure. It fails only when the harness itself breaks (a
# scenario could not run, the sidecar jar is missing, PostgreSQL could not start), never because
# a performance target was missed: timing on shared CI machines is not a verdict.
#
# Needs: Java 17, Maven, PostgreSQL 15 binaries (PG_BIN, default /usr/lib/postgresql/15/bin,
# with pgbench and the pg_stat_statements extension). Starts and stops a cluster of its own on
# 127.0.0.1 (first free port from 5499); never touches another PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

# The shaded jar (run as a process) and the test jar (the helpers the harness shares with the
# tests: support.SidecarProcess, support.Receiver), both installed by `mvn install`.
if [ ! -f target/odoo-webhook-sidecar.jar ] || [ ! -f target/odoo-webhook-sidecar-tests.jar ]; then
  mvn -q -B -DskipTests install
fi
# The harness bounds every wait itself; this is a last resort against a hung JVM.
timeout --kill-after=30 600 \
  mvn -q -B -f bench/pom.xml compile exec:java -Dexec.args="--mode short ${BENCH_ARGS:-}"
echo "bench short mode: OK (report in bench/results/short/report.md)"
