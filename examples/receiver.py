#!/usr/bin/env python3
"""A tiny webhook receiver for trying the sidecar: verifies Standard Webhooks signatures and
prints each delivery. Python standard library only.

    python3 examples/receiver.py --port 9000 --secret whsec_...

It answers 200 to a valid signature, 401 to an invalid one. For production, use a maintained
Standard Webhooks library (see docs/subscribers.md)."""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import time

TOLERANCE_SECONDS = 5 * 60


def verify(secret, msg_id, timestamp, body, signature_header):
    """True if one of the v1 signatures matches HMAC-SHA256("id.timestamp.body")."""
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signature_header.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the subscriber's whsec_ secret")
    args = parser.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verify(args.secret, self.headers.get("webhook-id", ""),
                        self.headers.get("webhook-timestamp", "0"), body,
                        self.headers.get("webhook-signature", ""))
            data = json.loads(body).get("data", {}) if ok else {}
            print(("VERIFIED " if ok else "INVALID SIGNATURE ") + self.headers.get("webhook-id", "?"),
                  json.dumps(data), flush=True)
            self.send_response(200 if ok else 401)
            self.end_headers()

        def log_message(self, *unused):
            pass

    print(f"Listening on http://127.0.0.1:{args.port}/", flush=True)
    http.server.HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
