import json

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestContent(WebhookCase):
    """Captured fields, payload modes, domains, preview and the body of a delivery."""

    def setUp(self):
        super().setUp()
        self.partner_model = self.env["ir.model"]._get("res.partner")
        self.Fields = self.env["ir.model.fields"]
        # Created before tracking: a write in the transaction that created the record is part
        # of its create event.
        self.partner = self.env["res.partner"].create({"name": "Ada", "email": "ada@example.com"})
        self.env.flush_all()
        self.tracked = self.env["webhook.tracked.model"].create({"model_id": self.partner_model.id})

    def partner_fields(self, *names):
        return self.Fields.search([("model", "=", "res.partner"), ("name", "in", names)])

    def capture(self, *names):
        self.tracked.write({"captured_field_ids": [Command.set(self.partner_fields(*names).ids)]})
        self.tracked = self.env["webhook.tracked.model"].search([("model", "=", "res.partner")])

    def subscriber_for_partners(self, **values):
        return self.Subscriber.create(
            {"name": "Partner values", "url": "http://127.0.0.1:9/hook", "model_ids": [Command.set(self.partner_model.ids)], **values}
        )

    def test_the_picker_saves_captured_fields_through_the_schema(self):
        self.capture("email", "name")
        self.assertEqual(self.tracked.captured_fields, "email, name")
        self.assertEqual(set(self.tracked.captured_field_ids.mapped("name")), {"email", "name"})
        self.assertEqual(self.sql_value("SELECT captured_fields FROM webhook_tracked_model WHERE model = 'res.partner'"), ["email", "name"])
        self.partner.write({"email": "ada@example.org"})
        self.env.flush_all()
        old = self.sql_value(
            "SELECT old_values FROM webhook_event WHERE model = 'res.partner' AND record_id = %s AND event = 'write'"
            " ORDER BY id DESC LIMIT 1",
            [self.partner.id],
        )
        self.assertEqual(old, {"email": "ada@example.com"})

    def test_capturing_at_creation(self):
        self.tracked.unlink()
        tracked = self.env["webhook.tracked.model"].create(
            {"model_id": self.partner_model.id, "captured_field_ids": [Command.set(self.partner_fields("email").ids)]}
        )
        self.assertEqual(tracked.captured_fields, "email")

    def test_a_secret_field_is_refused_in_the_schemas_words(self):
        with self.assertRefused(UserError, "password, a key or a token"):
            self.tracked._set_captured_fields("res.partner", ["email", "api_key"])
        self.assertFalse(self.sql_value("SELECT cardinality(captured_fields) FROM webhook_tracked_model WHERE model = 'res.partner'"))

    def test_capturing_needs_tracking_in_plain_words(self):
        self.tracked.action_disable_tracking()
        tracked = self.env["webhook.tracked.model"].search([("model", "=", "res.partner")])
        with self.assertRefused(UserError, "Enable tracking of .* first"):
            tracked.write({"captured_field_ids": [Command.set(self.partner_fields("email").ids)]})

    def test_payload_record_fields_and_domain_are_saved(self):
        self.capture("email", "name")
        subscriber = self.subscriber_for_partners(
            payload="record",
            record_field_ids=[Command.set(self.partner_fields("name").ids)],
            filter_domain="[('email', 'ilike', 'example')]",
        )
        self.assertEqual(subscriber.single_model, "res.partner")
        row = self.sql_value("SELECT row(payload, record_fields, domain, domain_path IS NOT NULL)::text FROM webhook_subscriber WHERE id = %s", [subscriber.id])
        self.assertEqual(row, '(record,{name},"[(\'email\', \'ilike\', \'example\')]",t)')
        subscriber.invalidate_recordset()
        self.assertEqual(subscriber.filter_domain, "[('email', 'ilike', 'example')]")
        self.assertEqual(subscriber.record_field_ids.mapped("name"), ["name"])
        subscriber.write({"filter_domain": "[]"})
        self.assertIsNone(self.sql_value("SELECT domain FROM webhook_subscriber WHERE id = %s", [subscriber.id]))

    def test_a_domain_on_an_uncaptured_field_is_refused_and_changes_nothing(self):
        self.capture("email")
        subscriber = self.subscriber_for_partners()
        with self.assertRefused(UserError, "Partner values"):
            subscriber.write({"filter_domain": "[('phone', '=', '1')]"})
        self.assertIsNone(self.sql_value("SELECT domain FROM webhook_subscriber WHERE id = %s", [subscriber.id]))

    def test_a_hostile_domain_is_refused(self):
        self.capture("email")
        subscriber = self.subscriber_for_partners()
        with self.assertRefused(UserError, "domain"):
            subscriber.write({"filter_domain": "[('email', '=', 'x'); DROP TABLE webhook_subscriber; --')]"})
        self.assertTrue(self.sql_value("SELECT to_regclass('webhook_subscriber') IS NOT NULL"))

    def test_a_domain_needs_one_model(self):
        self.capture("email")
        subscriber = self.subscriber_for_partners(filter_domain="[('email', '!=', False)]")
        with self.assertRefused(UserError, "exactly one model"):
            subscriber.write({"model_ids": [Command.link(self.env["ir.model"]._get("res.users").id)]})

    def test_preview_renders_the_body_for_a_real_record(self):
        self.capture("email", "name")
        subscriber = self.subscriber_for_partners(payload="changes")
        action = subscriber.action_preview()
        preview = self.env[action["res_model"]].with_context(action["context"]).create({})
        self.assertEqual(preview.record_ref._name, "res.partner")
        preview.record_ref = self.partner
        body = json.loads(preview.body)
        self.assertEqual(body["type"], "res.partner.create")
        self.assertEqual(body["data"]["record_id"], self.partner.id)
        self.assertEqual(body["data"]["changes"]["email"], {"old": None, "new": "ada@example.com"})

    def test_send_test_event_says_what_the_test_body_carries(self):
        subscriber = self.subscriber_for_partners(payload="changes")
        action = subscriber.action_queue_test_event()
        message = action["params"]["message"]
        self.assertIn("fixed test event", message)
        self.assertIn("will wait", message)  # no sidecar runs in the tests
        delivery = self.Delivery.browse(action["params"]["next"]["res_id"])
        self.assertEqual(delivery.subscriber_id, subscriber)

    def test_the_delivery_form_shows_the_body(self):
        self.capture("email", "name")
        subscriber = self.subscriber_for_partners(payload="record")
        delivery = self.insert_delivery(status="pending", subscriber=subscriber, record_id=self.partner.id, event="write")
        body = json.loads(delivery.body)
        self.assertEqual(body["data"]["record"], {"email": "ada@example.com", "name": "Ada"})
        self.assertIn("as it is now", delivery.body_label)
        plain = self.insert_delivery(status="sent", record_id=self.partner.id)
        self.assertNotIn("record", json.loads(plain.body)["data"])
        self.assertEqual(plain.body_label, "Body as sent")
