import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestSendTestEvent(WebhookCase):
    """"Send Test Event": the body a subscriber gets for a real record it receives, to it only,
    marked as a test, beside the record's real deliveries."""

    def setUp(self):
        super().setUp()
        partner_model = self.env["ir.model"]._get("res.partner")
        self.partner = self.env["res.partner"].create({"name": "Ada", "email": "ada@example.com"})
        self.env.flush_all()
        tracked = self.env["webhook.tracked.model"].create({"model_id": partner_model.id})
        tracked.write({"captured_field_ids": [Command.set(
            self.env["ir.model.fields"].search([("model", "=", "res.partner"), ("name", "in", ("name", "email"))]).ids
        )]})
        self.receiver = self.Subscriber.create({
            "name": "Partner values",
            "url": "http://127.0.0.1:9/values",
            "model_ids": [Command.set(partner_model.ids)],
            "payload": "changes",
        })

    def dialog(self, subscriber):
        action = subscriber.action_send_test_event()
        self.assertEqual(action["res_model"], "webhook.subscriber.preview")
        return self.env[action["res_model"]].with_context(action["context"]).create({})

    def deliveries(self, subscriber):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT model, record_id, event, coalesced_count, test FROM webhook_delivery WHERE subscriber_id = %s ORDER BY id",
            [subscriber.id],
        )
        return self.env.cr.fetchall()

    def test_the_dialog_picks_a_record_says_what_it_sends_and_sends_it(self):
        dialog = self.dialog(self.receiver)
        self.assertEqual(dialog.record_ref._name, "res.partner", "a record of a model it receives")
        dialog.record_ref = self.partner
        preview = json.loads(dialog.body)
        self.assertEqual(preview["data"]["changes"]["email"], {"old": None, "new": "ada@example.com"})
        self.assertIn('"test": true', dialog.send_note)
        self.assertIn("Partner values only", dialog.send_note)
        self.assertIn("will wait", dialog.send_note)  # no sidecar runs in the tests

        action = dialog.action_send_test_event()
        self.assertIn("Ada", action["params"]["message"])
        self.assertIn("will wait", action["params"]["message"])
        delivery = self.Delivery.browse(action["params"]["next"]["res_id"])
        self.assertEqual(delivery.subscriber_id, self.receiver)
        self.assertEqual(delivery.status, "pending")
        body = json.loads(delivery.body)
        self.assertEqual(body["type"], "res.partner.create")
        self.assertTrue(body["data"]["test"])
        self.assertEqual(body["data"]["model"], "res.partner")
        self.assertEqual(body["data"]["record_id"], self.partner.id)
        # The body sent is the body previewed, but for the test mark and what is set when queued.
        for key in ("test", "delivery_id", "occurred_at", "first_occurred_at"):
            body["data"].pop(key)
            preview["data"].pop(key, None)
        self.assertEqual(body["data"], preview["data"])

    def test_only_that_subscriber_gets_it_and_real_deliveries_are_untouched(self):
        other = self.Subscriber.create({"name": "Other", "url": "http://127.0.0.1:9/other"})
        real = self.insert_delivery(status="pending", subscriber=self.receiver, record_id=self.partner.id)
        before = self.deliveries(self.receiver)
        self.receiver.action_queue_test_event("res.partner", self.partner.id)
        after = self.deliveries(self.receiver)
        self.assertEqual(after[: len(before)], before, "the real delivery as it was")
        self.assertEqual(after[len(before):], [("res.partner", self.partner.id, "create", 1, True)])
        self.assertEqual(real.status, "pending")
        test = self.Delivery.search([("subscriber_id", "=", self.receiver.id), ("test", "=", True)])
        self.assertEqual(test.record_name, self.partner.display_name, "the record link works for a test")
        self.assertIn("(test)", test.display_name)
        self.assertFalse(self.deliveries(other))
        # Sent again while the first still waits: the same test delivery, not a second one.
        self.receiver.action_queue_test_event("res.partner", self.partner.id)
        self.assertEqual(self.deliveries(self.receiver), after)

    def test_without_a_record_it_sends_the_fixed_test_event(self):
        dialog = self.dialog(self.receiver)
        dialog.record_ref = False
        self.assertIn("fixed test event", dialog.send_note)
        delivery = self.Delivery.browse(dialog.action_send_test_event()["params"]["next"]["res_id"])
        self.assertEqual(delivery.model, "webhook.test")
        self.assertTrue(delivery.test)
        self.assertTrue(json.loads(delivery.body)["data"]["test"])

    def test_a_record_it_cannot_send_is_refused_in_plain_words(self):
        with self.assertRefused(UserError, r"Record 999999999 of res\.partner does not exist"):
            self.receiver.action_queue_test_event("res.partner", 999999999)
        country = self.env["res.country"].search([], limit=1)
        with self.assertRefused(UserError, r'Subscriber "Partner values" does not receive res\.country'):
            self.receiver.action_queue_test_event("res.country", country.id)
        self.assertFalse(self.deliveries(self.receiver))

    def test_only_managers_send_test_events(self):
        viewer = new_test_user(self.env, login="webhook_test_viewer", groups="base.group_user,webhook_sidecar.group_webhook_user")
        with self.assertRaises(AccessError):
            self.receiver.with_user(viewer).action_queue_test_event("res.partner", self.partner.id)
        with self.assertRaises(AccessError):
            self.receiver.with_user(viewer).action_send_test_event()
