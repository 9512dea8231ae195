# SPDX-License-Identifier: LGPL-3.0-or-later
"""End-to-end tests through Odoo's ORM: a real Odoo registry, a real sidecar process (the jar) and
a real HTTP receiver on 127.0.0.1 that verifies the Standard Webhooks signature of every body.

    python3 orm_e2e.py --odoo-src SRC --jar JAR --db DATABASE [--pid-file F] [--sidecar-log F]
                       -- <odoo-bin options: --addons-path, --db_host, --db_port, --db_user, ...>

The database must have `sale` and the addon installed (check.sh prepares it). This script tracks
sale.order and res.partner with captured fields, adds its subscribers with the CLI, starts
`java -jar JAR run`, then changes records with the ORM as the admin user, committing each step as
a user's request does, and asserts on the bodies the receiver got:

  a. confirming a sale order with lines (action_confirm) reaches a subscriber with the domain
     [('state', '=', 'sale')] and "only when state changes" exactly once, with
     changes.state = {old: draft, new: sale}; creating the draft reaches it not at all;
  b. a partner's e-mail change reaches a `changes` subscriber with the old and the new e-mail;
  c. an unlink carries the last values (`changes`: old = last value, new = null; `record`: the
     last captured values);
  d. three writes while the receiver answers 503 arrive as one delivery with the first old and
     the last new value.

Signatures are checked by hand (HMAC-SHA256 of "id.timestamp.body" with the whsec_ key, as the
Standard Webhooks spec says): no third-party verifier library is available to this Python. The
Java test suite checks the same bodies with Svix's verifier.

Every wait is bounded (WAIT seconds). The sidecar is ended by its pid when this script ends, also
on SIGTERM; its pid is written to --pid-file so that check.sh can end it should this script die.
Prints one "ok: ..." line per passed check; exits 1 with "FAILED: ..." on the first failure.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

WAIT = 60  # seconds, the most any one wait of this script lasts
TOLERANCE = 5 * 60  # seconds a webhook-timestamp may be off, as the Standard Webhooks libraries


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# ------------------------------------------------------------------------------------ receiver

def new_secret():
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def signature_ok(secret, msg_id, timestamp, body, header):
    """Standard Webhooks: one of the space-separated v1 signatures is the base64 HMAC-SHA256 of
    "id.timestamp.body" keyed with the base64-decoded part of whsec_..., and the timestamp is
    recent."""
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE:
            return False
    except ValueError:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    return any(
        version == "v1" and hmac.compare_digest(value.encode(), expected)
        for version, _, value in (part.partition(",") for part in header.split())
    )


class Receiver:
    """One HTTP server; each subscriber posts to its own path (/<subscriber name>)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.secrets = {}      # path -> whsec_ secret
        self.refusing = set()  # paths that answer 503 (an outage)
        self.received = []     # every request: dict(path, id, status, data)
        self.bad = []          # requests whose signature did not verify
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the sidecar's client expects

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.handle(self, body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a kept-alive connection the sidecar closed: not a request

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.port, path)

    def handle(self, request, body):
        path = request.path.strip("/")
        msg_id = request.headers.get("webhook-id", "")
        with self.lock:
            secret = self.secrets.get(path)
            verified = secret is not None and signature_ok(
                secret, msg_id, request.headers.get("webhook-timestamp", ""), body,
                request.headers.get("webhook-signature", ""))
            if not verified:
                self.bad.append((path, msg_id))
                status = 401
            else:
                status = 503 if path in self.refusing else 200
                self.received.append({"path": path, "id": msg_id, "status": status,
                                      "data": json.loads(body)["data"]})
        request.send_response(status)
        if status == 503:
            request.send_header("Retry-After", "10")
        request.send_header("Content-Length", "0")
        request.end_headers()

    def self_test(self):
        """The verifier is not vacuous: a correctly signed request is accepted, the same request
        with another key or a changed body is answered 401. Forgotten afterwards."""
        import urllib.error
        import urllib.request
        secret, other = new_secret(), new_secret()
        self.secrets["self-test"] = secret
        body = json.dumps({"data": {"record_id": 0}}).encode()

        def post(key, sent_body):
            timestamp = str(int(time.time()))
            signature = base64.b64encode(hmac.new(
                base64.b64decode(key.removeprefix("whsec_")),
                b"msg_self." + timestamp.encode() + b"." + body, hashlib.sha256).digest()).decode()
            request = urllib.request.Request(self.url("self-test"), data=sent_body, headers={
                "webhook-id": "msg_self", "webhook-timestamp": timestamp,
                "webhook-signature": "v1," + signature, "Content-Type": "application/json"})
            try:
                return urllib.request.urlopen(request, timeout=WAIT).status
            except urllib.error.HTTPError as error:
                return error.code

        answers = (post(secret, body), post(other, body), post(secret, body.replace(b"0", b"1")))
        with self.lock:
            self.bad.clear()
            self.received.clear()
            del self.secrets["self-test"]
        check(answers == (200, 401, 401), "the receiver's verifier answered %s to a good signature, another"
              " key and a changed body (expected 200, 401, 401)" % (answers,))

    def bodies(self, path, record_id=None, status=200):
        """The data of the verified bodies a path answered with `status`, in arrival order."""
        with self.lock:
            return [r["data"] for r in self.received
                    if r["path"] == path and r["status"] == status
                    and (record_id is None or r["data"]["record_id"] == record_id)]

    def requests(self, path, record_id):
        with self.lock:
            return [r for r in self.received if r["path"] == path and r["data"]["record_id"] == record_id]


# ------------------------------------------------------------------------------------ the test

class EndToEnd:
    def __init__(self, args, odoo_args):
        self.args = args
        self.receiver = Receiver()
        self.sidecar = None
        self.db_env = dict(os.environ)
        host = os.environ.get("PGHOST", "127.0.0.1")
        port = os.environ.get("PGPORT", "5432")
        self.db_env.update(
            WEBHOOK_DB_URL="jdbc:postgresql://%s:%s/%s" % (host, port, args.db),
            WEBHOOK_DB_USER=os.environ.get("PGUSER", "postgres"),
            WEBHOOK_DB_PASSWORD=os.environ.get("PGPASSWORD", ""),
            WEBHOOK_HTTP_PORT="0",
            WEBHOOK_LOG_DELIVERIES="true",
        )
        import psycopg2  # Odoo's own dependency
        # A connection of its own, in autocommit: to read the sidecar's progress (never to change
        # records) while Odoo's cursor stays in its own REPEATABLE READ transactions.
        self.poll = psycopg2.connect(host=host, port=port, dbname=args.db,
                                     user=os.environ.get("PGUSER"), password=os.environ.get("PGPASSWORD"))
        self.poll.autocommit = True
        self.odoo_args = odoo_args

    # --- the sidecar --------------------------------------------------------------------------

    def cli(self, *words):
        try:
            done = subprocess.run(["java", "-jar", self.args.jar, *words], env=self.db_env,
                                  capture_output=True, text=True, timeout=2 * WAIT)
        except subprocess.TimeoutExpired:
            raise Failure("java -jar %s %s did not end within %d s" % (
                os.path.basename(self.args.jar), " ".join(words), 2 * WAIT))
        if done.returncode != 0:
            raise Failure("java -jar %s %s exited %d: %s" % (
                os.path.basename(self.args.jar), " ".join(words), done.returncode,
                (done.stderr or done.stdout).strip()))
        return done.stdout

    def add_subscriber(self, name, *options):
        secret = new_secret()
        self.receiver.secrets[name] = secret
        self.cli("subscriber", "add", "--name", name, "--url", self.receiver.url(name),
                 "--secret", secret, *options)

    def start_sidecar(self):
        log = open(self.args.sidecar_log, "w")
        self.sidecar = subprocess.Popen(["java", "-jar", self.args.jar, "run"], env=self.db_env,
                                        stdout=log, stderr=subprocess.STDOUT)
        if self.args.pid_file:
            with open(self.args.pid_file, "w") as f:
                f.write(str(self.sidecar.pid))

    def stop_sidecar(self):
        if self.sidecar is None or self.sidecar.poll() is not None:
            return
        self.sidecar.terminate()  # SIGTERM: the sidecar drains and stops
        try:
            self.sidecar.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.sidecar.kill()
            self.sidecar.wait(timeout=WAIT)

    # --- waiting ------------------------------------------------------------------------------

    def wait_for(self, what, predicate):
        deadline = time.monotonic() + WAIT
        while True:
            self.check_no_bad_signature()
            if self.sidecar is not None and self.sidecar.poll() is not None:
                raise Failure("the sidecar exited (%s) while waiting for %s" % (self.sidecar.returncode, what))
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise Failure("waited %d s for %s" % (WAIT, what))
            time.sleep(0.2)

    def scalar(self, sql, *params):
        with self.poll.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchone()[0]

    def open_deliveries(self, subscriber, record_id=None):
        return self.scalar(
            "SELECT count(*) FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id"
            " WHERE s.name = %s AND (%s IS NULL OR d.record_id = %s)"
            " AND d.status IN ('pending', 'processing', 'failed')", subscriber, record_id, record_id)

    def settle(self, *subscribers):
        """Waits until every committed event is routed and these subscribers have nothing left
        to send: what they received by then is all they will receive of it."""
        self.wait_for("every event routed and no open delivery for " + ", ".join(subscribers),
                      lambda: self.scalar("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0
                      and all(self.open_deliveries(s) == 0 for s in subscribers))

    def check_no_bad_signature(self):
        with self.receiver.lock:
            check(not self.receiver.bad,
                  "bodies whose Standard Webhooks signature did not verify: %s" % self.receiver.bad)

    # --- Odoo ---------------------------------------------------------------------------------

    def odoo_env(self):
        sys.path.insert(0, self.args.odoo_src)
        try:
            import odoo.init  # noqa: F401  (Odoo 19: its core set-up, before anything else)
        except ImportError:
            pass  # Odoo 18 sets up on `import odoo`
        import odoo.api
        import odoo.release
        import odoo.tools
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(self.odoo_args + ["-d", self.args.db])
        self.odoo_version = odoo.release.version
        registry = Registry(self.args.db)
        cr = registry.cursor()
        superuser = odoo.api.Environment(cr, odoo.api.SUPERUSER_ID, {})
        # The admin user, not the superuser: access rights are checked as for a user's request.
        return odoo.api.Environment(cr, superuser.ref("base.user_admin").id, {})

    # --- the scenarios ------------------------------------------------------------------------

    def run(self):
        self.receiver.self_test()
        print("ok: the receiver accepts a good Standard Webhooks signature and refuses another key"
              " and a changed body", flush=True)
        # Captured fields and subscribers first: an event before a subscriber exists is not its.
        self.cli("track", "sale.order", "--capture", "state,amount_total")
        self.cli("track", "res.partner", "--capture", "name,email")
        self.add_subscriber("confirmed-orders", "--models", "sale.order", "--payload", "changes",
                            "--fields", "state", "--domain", "[('state', '=', 'sale')]")
        self.add_subscriber("all-orders", "--models", "sale.order")
        self.add_subscriber("partner-changes", "--models", "res.partner", "--payload", "changes")
        self.add_subscriber("partner-record", "--models", "res.partner", "--events", "unlink",
                            "--payload", "record")
        self.add_subscriber("partner-outage", "--models", "res.partner", "--fields", "email",
                            "--payload", "changes")
        self.start_sidecar()
        env = self.odoo_env()
        try:
            self.scenarios(env)
        finally:
            env.cr.close()

    def scenarios(self, env):
        print("Odoo %s, sidecar pid %d, receiver http://127.0.0.1:%d" % (
            self.odoo_version, self.sidecar.pid, self.receiver.port), flush=True)
        self.sale_order_confirmed_once(env)
        partner = self.partner_email_change(env)
        self.unlink_carries_last_values(env, partner)
        self.outage_merges_three_writes(env)
        self.check_no_bad_signature()

    def sale_order_confirmed_once(self, env):
        customer = env["res.partner"].create({"name": "E2E Customer", "email": "buyer@example.com"})
        product = env["product.product"].create({"name": "E2E Desk", "list_price": 120.0})
        order = env["sale.order"].create({
            "partner_id": customer.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 3})],
        })
        env.cr.commit()
        check(order.state == "draft" and len(order.order_line) == 1, "the new order is not a draft with one line")

        # The control subscriber (every sale.order change) hears the creation ...
        self.wait_for("all-orders to receive the creation of sale.order %d" % order.id,
                      lambda: self.receiver.bodies("all-orders", order.id))
        self.settle("confirmed-orders", "all-orders")
        # ... and the one with the domain does not.
        check(self.receiver.bodies("confirmed-orders", order.id) == [],
              "confirmed-orders received the creation of a draft: %s" % self.receiver.bodies("confirmed-orders"))
        print("ok a: creating draft sale.order %d with a line reached all-orders and not confirmed-orders" % order.id)

        order.action_confirm()
        env.cr.commit()
        check(order.state == "sale", "action_confirm() left the order in state %s" % order.state)
        self.wait_for("confirmed-orders to receive the confirmation of sale.order %d" % order.id,
                      lambda: self.receiver.bodies("confirmed-orders", order.id))
        # A later edit of the confirmed order: state does not change, so it must not reach it.
        order.write({"note": "<p>Deliver to the back door</p>"})
        env.cr.commit()
        self.settle("confirmed-orders", "all-orders")
        bodies = self.receiver.bodies("confirmed-orders", order.id)
        check(len(bodies) == 1, "confirmed-orders received %d bodies for sale.order %d, not 1: %s"
              % (len(bodies), order.id, bodies))
        data = bodies[0]
        check(data["model"] == "sale.order" and data["event"] == "write",
              "the confirmation is %s %s, not a sale.order write" % (data["model"], data["event"]))
        check("state" in (data["changed_fields"] or []), "changed_fields lacks state: %s" % data)
        check(data.get("changes", {}).get("state") == {"old": "draft", "new": "sale"},
              "changes.state is %r, not {old: draft, new: sale}" % data.get("changes", {}).get("state"))
        print("ok a: action_confirm() reached confirmed-orders exactly once, changes.state = %s"
              % json.dumps(data["changes"]["state"]))

    def partner_email_change(self, env):
        partner = env["res.partner"].create({"name": "E2E Azure", "email": "info@azure.example"})
        env.cr.commit()
        self.wait_for("partner-changes to receive the creation of res.partner %d" % partner.id,
                      lambda: self.receiver.bodies("partner-changes", partner.id))
        self.settle("partner-changes")
        partner.write({"email": "sales@azure.example"})
        env.cr.commit()
        writes = self.wait_for(
            "partner-changes to receive the e-mail change of res.partner %d" % partner.id,
            lambda: [d for d in self.receiver.bodies("partner-changes", partner.id) if d["event"] == "write"])
        check(len(writes) == 1, "partner-changes received %d writes, not 1: %s" % (len(writes), writes))
        data = writes[0]
        check("email" in (data["changed_fields"] or []), "changed_fields lacks email: %s" % data)
        check(data.get("changes", {}).get("email") == {"old": "info@azure.example", "new": "sales@azure.example"},
              "changes.email is %r" % data.get("changes", {}).get("email"))
        check("name" not in data["changes"], "an unchanged captured field is in changes: %s" % data["changes"])
        print("ok b: the e-mail change reached partner-changes with changes.email = %s"
              % json.dumps(data["changes"]["email"]))
        return partner

    def unlink_carries_last_values(self, env, partner):
        partner_id = partner.id
        self.settle("partner-changes")
        partner.unlink()
        env.cr.commit()
        unlinks = self.wait_for(
            "partner-changes to receive the unlink of res.partner %d" % partner_id,
            lambda: [d for d in self.receiver.bodies("partner-changes", partner_id) if d["event"] == "unlink"])
        changes = unlinks[0].get("changes", {})
        check(changes.get("email") == {"old": "sales@azure.example", "new": None}
              and changes.get("name") == {"old": "E2E Azure", "new": None},
              "the unlink's changes do not carry the last values as old: %s" % changes)
        print("ok c: the unlink reached partner-changes with the last values: %s" % json.dumps(changes))
        records = self.wait_for(
            "partner-record to receive the unlink of res.partner %d" % partner_id,
            lambda: self.receiver.bodies("partner-record", partner_id))
        data = records[0]
        check(data["event"] == "unlink", "partner-record received a %s, not the unlink" % data["event"])
        record = data.get("record") or {}
        check(record.get("email") == "sales@azure.example" and record.get("name") == "E2E Azure",
              "the unlink's record does not carry the last values: %s" % data.get("record"))
        print("ok c: the unlink reached partner-record with record = %s" % json.dumps(record))

    def outage_merges_three_writes(self, env):
        partner = env["res.partner"].create({"name": "E2E Outage", "email": "v0@outage.example"})
        env.cr.commit()
        self.wait_for("partner-outage to receive the creation of res.partner %d" % partner.id,
                      lambda: self.receiver.bodies("partner-outage", partner.id))
        self.settle("partner-outage")
        with self.receiver.lock:
            self.receiver.refusing.add("partner-outage")
        for n in (1, 2, 3):
            if n > 1:
                # The delivery waits for its retry: the next write merges into it. (A write while
                # it is in flight would queue behind it instead, a second delivery: that is the
                # per-record order, not a merge, so this test writes only while it waits.)
                self.wait_for(
                    "the refused delivery of res.partner %d to wait for its retry" % partner.id,
                    lambda: self.scalar(
                        "SELECT count(*) FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                        " WHERE s.name = 'partner-outage' AND d.record_id = %s AND d.status = 'failed'"
                        " AND d.next_attempt_at > now() + interval '5 seconds'", partner.id) == 1)
            partner.write({"email": "v%d@outage.example" % n})
            env.cr.commit()
            if n == 1:
                self.wait_for("the first write to be refused with 503",
                              lambda: any(r["status"] == 503 for r in self.receiver.requests("partner-outage", partner.id)))
        check(self.open_deliveries("partner-outage", partner.id) == 1,
              "the three writes are not one open delivery (did a write take over 5 s, past the retry?)")
        refused = [r["id"] for r in self.receiver.requests("partner-outage", partner.id) if r["status"] == 503]
        with self.receiver.lock:
            self.receiver.refusing.discard("partner-outage")
        writes = self.wait_for(
            "partner-outage to receive the writes of res.partner %d after the outage" % partner.id,
            lambda: [d for d in self.receiver.bodies("partner-outage", partner.id) if d["event"] == "write"])
        self.settle("partner-outage")
        writes = [d for d in self.receiver.bodies("partner-outage", partner.id) if d["event"] == "write"]
        check(len(writes) == 1, "partner-outage received %d write deliveries after the outage, not 1: %s"
              % (len(writes), writes))
        data = writes[0]
        check(data.get("changes", {}).get("email") == {"old": "v0@outage.example", "new": "v3@outage.example"},
              "the merged delivery's changes.email is %r, not the first old and the last new"
              % data.get("changes", {}).get("email"))
        check(data["coalesced_count"] == 3, "coalesced_count is %s, not 3" % data["coalesced_count"])
        delivered = [r["id"] for r in self.receiver.requests("partner-outage", partner.id)
                     if r["status"] == 200 and r["data"]["event"] == "write"]
        # Content already attempted grew: a receiver that deduplicates must not drop it.
        check(delivered[0] not in refused, "the merged delivery reuses the webhook-id %s of the refused"
              " attempt, so a deduplicating receiver would drop the newer values" % delivered[0])
        print("ok d: three writes during an outage (%d refused attempt(s)) arrived as one delivery,"
              " changes.email = %s, coalesced_count 3" % (len(refused), json.dumps(data["changes"]["email"])))


def main():
    split = sys.argv.index("--") if "--" in sys.argv else len(sys.argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--jar", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--pid-file")
    parser.add_argument("--sidecar-log", default=os.devnull)
    args = parser.parse_args(sys.argv[1:split])
    # SIGTERM (check.sh's clean-up) ends this script through its finally: the sidecar is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    test = EndToEnd(args, sys.argv[split + 1:])
    try:
        test.run()
    except Failure as failure:
        print("FAILED: %s" % failure, file=sys.stderr, flush=True)
        return 1
    finally:
        test.stop_sidecar()
    return 0


if __name__ == "__main__":
    sys.exit(main())
