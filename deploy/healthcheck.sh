#!/bin/bash
# Exit 0 when the sidecar's GET /health answers 200, 1 otherwise. Bash only (its /dev/tcp), so it
# works in a JRE image without curl or wget; the Dockerfile's HEALTHCHECK runs it.
# Usage: healthcheck.sh [PORT]   (default: $WEBHOOK_HTTP_PORT, else 8075; always 127.0.0.1)
set -u
port="${1:-${WEBHOOK_HTTP_PORT:-8075}}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 5 status <&3 || exit 1
# Read the rest: closing before the body is sent makes the server log a connection reset.
while IFS= read -r -t 5 _ <&3; do :; done
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) echo "health: ${status%$'\r'}" >&2; exit 1 ;;
esac
