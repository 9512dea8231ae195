#!/bin/bash
# The compose demo's one-shot setup: track res.partner and add the demo subscriber (once).
# Safe to run again. scripts/check-packaging.sh runs this same script against a local database.
#   DEMO_RECEIVER_URL  the receiver's URL, e.g. http://receiver:9000/hooks
#   DEMO_SECRET        the subscriber's whsec_ secret, also given to the receiver
#   SIDECAR_JAR        the sidecar's jar (default /app/odoo-webhook-sidecar.jar, as in the image)
# The database comes from WEBHOOK_DB_URL, WEBHOOK_DB_USER and WEBHOOK_DB_PASSWORD.
set -euo pipefail
: "${DEMO_RECEIVER_URL:?set DEMO_RECEIVER_URL}" "${DEMO_SECRET:?set DEMO_SECRET}"
sidecar() { java -jar "${SIDECAR_JAR:-/app/odoo-webhook-sidecar.jar}" "$@"; }

sidecar track res.partner
if sidecar subscriber list | awk 'NR > 1 && $2 == "demo" { found = 1 } END { exit !found }'; then
  echo "Subscriber demo exists already."
else
  sidecar subscriber add --name demo --url "$DEMO_RECEIVER_URL" --models res.partner \
    --secret "$DEMO_SECRET" >/dev/null  # the output repeats the secret: keep it out of the logs
  echo "Subscriber demo added: res.partner changes go to $DEMO_RECEIVER_URL."
fi
