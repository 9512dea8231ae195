#!/usr/bin/env python3
"""A tiny webhook receiver for trying the sidecar: verifies Standard Webhooks signatures and
prints each delivery. Python standard library only.

    python3 examples/receiver.py --port 9000 --secret whsec_...

The secret may also come from the environment variable WEBHOOK_SECRET. It listens on
127.0.0.1 unless --host says otherwise (0.0.0.0 inside a container); --port 0 picks a free
port, printed on the first line. It answers 200 to a valid signature and 401 to an invalid or
missing one, and prints one line per request:

    VERIFIED msg_1_0 {"model": "res.partner", ...}
    INVALID SIGNATURE msg_1_0 {}

For production, use a maintained Standard Webhooks library (see docs/subscribers.md)."""
import argparse
import base64
import binascii
import hashlib
import hmac
import http.server
import json
import os
import signal
import sys
import time

TOLERANCE_SECONDS = 5 * 60


def secret_key(secret):
    """The HMAC key of a whsec_ secret: the base64 part, decoded."""
    return base64.b64decode(secret.removeprefix("whsec_"), validate=True)


def verify(key, msg_id, timestamp, body, signature_header):
    """True if one of the v1 signatures matches HMAC-SHA256("id.timestamp.body") and the
    timestamp is within five minutes of now (replay protection)."""
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            return False
    except ValueError:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signature_header.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return True
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=9000, help="port (default 9000; 0 for any free one)")
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET"),
                        help="the subscriber's whsec_ secret (default: $WEBHOOK_SECRET)")
    args = parser.parse_args()
    if not args.secret:
        parser.error("give the subscriber's secret with --secret whsec_... or WEBHOOK_SECRET")
    try:
        key = secret_key(args.secret)
    except (binascii.Error, ValueError):
        parser.error("the secret is not whsec_ followed by base64")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            msg_id = self.headers.get("webhook-id", "")
            ok = verify(key, msg_id, self.headers.get("webhook-timestamp", ""), body,
                        self.headers.get("webhook-signature", ""))
            data = json.loads(body).get("data", {}) if ok else {}
            print(("VERIFIED " if ok else "INVALID SIGNATURE ") + (msg_id or "?"),
                  json.dumps(data), flush=True)
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *unused):
            pass

    server = http.server.HTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    print(f"Listening on http://{host}:{port}/", flush=True)
    # As PID 1 in a container, Python would ignore SIGTERM; stop at once instead.
    signal.signal(signal.SIGTERM, lambda *unused: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
