import json
from pathlib import Path

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..broker_url import broker_url_problem
from .common import WebhookCase

# The cases the sidecar's BrokerUrlParityTest checks too: one list, two rules that must agree.
CASES = json.loads((Path(__file__).parent / "broker_urls.json").read_text(encoding="utf-8"))["urls"]


@tagged("post_install", "-at_install")
class TestBrokerSubscribers(WebhookCase):
    """Subscribers that publish to Kafka or NATS JetStream, and their write-only credentials."""

    def credentials(self, subscriber):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT username, password, token FROM webhook_broker_credential WHERE subscriber_id = %s",
            [subscriber.id],
        )
        return self.env.cr.fetchone()

    def test_the_rule_agrees_with_the_sidecars_on_every_shared_case(self):
        self.assertGreaterEqual(len(CASES), 20)
        for url, expected in CASES:
            problem = broker_url_problem(url)
            if expected is None:
                self.assertIsNone(problem, url)
            else:
                self.assertIn(expected, problem or "", url)

    def test_broker_urls_are_accepted_and_bad_ones_refused_saying_what_to_fix(self):
        kafka = self.Subscriber.create({"name": "Warehouse", "url": "kafka://k1:9092,k2:9092/odoo.changes?sasl=SCRAM-SHA-512"})
        self.assertTrue(kafka.is_broker)
        nats = self.Subscriber.create({"name": "Apps", "url": "nats://127.0.0.1:4222/odoo.changes"})
        self.assertTrue(nats.is_broker)
        self.assertFalse(self.subscriber.is_broker)
        with self.assertRefused(ValidationError, r"This broker URL cannot be used: the URL names no topic"):
            self.Subscriber.create({"name": "No topic", "url": "kafka://k1:9092"})
        with self.assertRefused(ValidationError, r"must not carry user:password@; enter them as the subscriber's broker credentials"):
            nats.write({"url": "nats://svc:pw@127.0.0.1:4222/odoo.changes"})
        with self.assertRefused(ValidationError, r"http://, https://, kafka:// or nats://"):
            self.Subscriber.create({"name": "FTP", "url": "ftp://example.com"})
        self.assertEqual(nats.url, "nats://127.0.0.1:4222/odoo.changes")
        self.assertFalse(self.Subscriber.search([("name", "in", ("No topic", "FTP"))]))

    def test_credentials_are_stored_and_never_shown_back(self):
        subscriber = self.Subscriber.create({
            "name": "Warehouse",
            "url": "kafka://k1:9092/odoo.changes?sasl=PLAIN",
            "broker_username": "svc-odoo",
            "broker_password": "hunter2",
        })
        self.assertEqual(self.credentials(subscriber), ("svc-odoo", "hunter2", None))
        subscriber.invalidate_recordset()
        self.assertEqual((subscriber.broker_username, subscriber.broker_password, subscriber.broker_token), (False, False, False))
        self.assertEqual(subscriber.broker_credentials_stored, "A user name and a password")
        self.assertNotIn("hunter2", json.dumps(subscriber.read()[0], default=str))
        # Empty inputs keep what is stored; a new password keeps the user.
        subscriber.write({"name": "Warehouse 2", "broker_username": False, "broker_password": ""})
        self.assertEqual(self.credentials(subscriber), ("svc-odoo", "hunter2", None))
        subscriber.write({"broker_password": "correct horse"})
        self.assertEqual(self.credentials(subscriber), ("svc-odoo", "correct horse", None))
        # A SASL URL cannot do without them: clearing is refused and keeps them.
        with self.assertRefused(UserError, r"asks for SASL"):
            subscriber.action_clear_broker_credentials()
        self.assertEqual(self.credentials(subscriber), ("svc-odoo", "correct horse", None))
        # NATS: a token replaces the user and password, and the other way round.
        nats = self.Subscriber.create({
            "name": "Apps",
            "url": "nats://127.0.0.1:4222/odoo.changes",
            "broker_username": "svc",
            "broker_password": "pw",
        })
        nats.write({"broker_token": "s3cr3t"})
        self.assertEqual(self.credentials(nats), (None, None, "s3cr3t"))
        self.assertEqual(nats.broker_credentials_stored, "A token")
        nats.write({"broker_username": "svc", "broker_password": "pw"})
        self.assertEqual(self.credentials(nats), ("svc", "pw", None))
        nats.action_clear_broker_credentials()
        self.assertIsNone(self.credentials(nats))
        self.assertEqual(nats.broker_credentials_stored, "None")

    def test_credentials_that_cannot_be_used_are_refused_and_change_nothing(self):
        subscriber = self.Subscriber.create({"name": "Apps", "url": "nats://127.0.0.1:4222/odoo.changes"})
        with self.assertRefused(ValidationError, "a user name and password, or a token, not both"):
            subscriber.write({"broker_username": "svc", "broker_token": "t"})
        # The schema's rule, the same as the CLI's and psql's (webhook_broker_credentials_problem).
        with self.assertRefused(UserError, "A broker password needs a user name"):
            subscriber.write({"broker_password": "pw"})
        self.assertIsNone(self.credentials(subscriber))
        kafka = self.Subscriber.create({"name": "Warehouse", "url": "kafka://k1:9092/odoo.changes"})
        with self.assertRefused(UserError, r"only with SASL: add \?sasl="):
            kafka.write({"broker_username": "svc", "broker_password": "pw"})
        with self.assertRefused(UserError, "Kafka takes a user name and password"):
            kafka.write({"broker_token": "t"})
        self.assertIsNone(self.credentials(kafka))

    def test_only_managers_see_or_set_credentials(self):
        viewer = new_test_user(self.env, login="webhook_broker_viewer", groups="base.group_user,webhook_sidecar.group_webhook_user")
        subscriber = self.Subscriber.create({"name": "Apps", "url": "nats://127.0.0.1:4222/odoo.changes", "broker_token": "t"})
        as_viewer = subscriber.with_user(viewer)
        for fname in ("broker_username", "broker_password", "broker_token", "broker_credentials_stored"):
            with self.assertRaises(AccessError, msg=fname):
                as_viewer.read([fname])
        with self.assertRaises(AccessError):
            as_viewer.action_clear_broker_credentials()
        self.assertEqual(self.credentials(subscriber), (None, None, "t"))
