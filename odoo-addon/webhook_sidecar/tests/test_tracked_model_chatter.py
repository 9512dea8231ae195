from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestTrackedModelChatter(WebhookCase):
    """The tracked model's form has a chatter that records who changed what is captured."""

    def setUp(self):
        super().setUp()
        self.partner_model = self.env["ir.model"]._get("res.partner")
        self.tracked = self.env["webhook.tracked.model"].create({"model_id": self.partner_model.id})
        self.flush_tracking()

    def flush_tracking(self):
        # Tracking messages are made just before commit; a test never commits.
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.invalidate_all()

    def changes(self, field_name):
        """(old, new) of each tracked change of one field, oldest first."""
        values = self.tracked.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == field_name
        ).sorted("id")
        return [
            (value.old_value_integer, value.new_value_integer)
            if value.field_id.ttype == "boolean"
            else (value.old_value_char or "", value.new_value_char or "")
            for value in values
        ]

    def test_tracking_started_is_logged(self):
        bodies = self.tracked.message_ids.mapped("body")
        self.assertTrue(any("Tracking started" in str(body) for body in bodies), bodies)
        self.assertEqual(self.tracked.message_ids.author_id, self.env.user.partner_id)

    def test_ignored_fields_change_is_tracked(self):
        self.tracked.write({"ignored_columns": "write_date, write_uid, comment"})
        self.flush_tracking()
        self.assertEqual(self.changes("ignored_columns"), [("write_date, write_uid", "write_date, write_uid, comment")])

    def test_captured_fields_change_is_tracked(self):
        email = self.env["ir.model.fields"]._get("res.partner", "email")
        self.tracked.write({"captured_field_ids": [Command.set(email.ids)]})
        self.flush_tracking()
        self.assertEqual(self.changes("captured_fields"), [("", "email")])

    def test_disabling_and_enabling_tracking_is_tracked(self):
        self.tracked.action_disable_tracking()
        self.flush_tracking()
        self.tracked.action_enable_tracking()
        self.flush_tracking()
        self.assertEqual(self.changes("tracking_enabled"), [(1, 0), (0, 1)])

    def test_a_refused_change_leaves_no_trace(self):
        with self.assertRaises(ValidationError):
            self.tracked.write({"ignored_columns": "no_such_column"})
        self.flush_tracking()
        self.assertEqual(self.changes("ignored_columns"), [])

    def test_the_history_stays_when_a_model_is_untracked_and_tracked_again(self):
        model_id = self.tracked.id
        self.tracked.unlink()
        again = self.env["webhook.tracked.model"].create({"model_id": self.partner_model.id})
        self.assertEqual(again.id, model_id)
        bodies = [str(body) for body in again.message_ids.sorted("id").mapped("body")]
        self.assertEqual(len(bodies), 3, bodies)
        self.assertIn("Tracking started", bodies[0])
        self.assertIn("Tracking removed", bodies[1])
        self.assertIn("Tracking started", bodies[2])

    def test_the_form_shows_the_chatter(self):
        arch = self.env.ref("webhook_sidecar.webhook_tracked_model_view_form").arch
        self.assertIn("<chatter", arch)
