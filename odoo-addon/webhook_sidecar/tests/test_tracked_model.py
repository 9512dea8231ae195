from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestTrackedModel(WebhookCase):
    def setUp(self):
        super().setUp()
        self.partner = self.env["res.partner"].create({"name": "Before tracking"})
        self.env.flush_all()
        self.partner_model = self.env["ir.model"]._get("res.partner")

    def track_partners(self):
        return self.env["webhook.tracked.model"].create({"model_id": self.partner_model.id})

    def partner_events(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT event, changed_fields FROM webhook_event"
            " WHERE model = 'res.partner' AND record_id = %s ORDER BY id",
            [self.partner.id],
        )
        return self.env.cr.fetchall()

    def test_enabling_tracking_installs_the_trigger(self):
        tracked = self.track_partners()
        self.assertEqual(tracked.model, "res.partner")
        self.assertEqual(tracked.model_id, self.partner_model)
        self.assertEqual(tracked.table_name, "res_partner")
        self.assertTrue(tracked.tracking_enabled)
        self.assertTrue(tracked.capture_installed)
        self.assertTrue(self.sql_value("SELECT webhook_capture_installed('res.partner')"))

    def test_partner_write_creates_an_event(self):
        self.track_partners()
        self.partner.write({"name": "After tracking"})
        events = self.partner_events()
        self.assertEqual(len(events), 1)
        event, changed = events[0]
        self.assertEqual(event, "write")
        self.assertIn("name", changed)
        # ... and the addon shows it, with a link to the partner.
        shown = self.env["webhook.event"].search([("model", "=", "res.partner"), ("record_id", "=", self.partner.id)])
        self.assertEqual(len(shown), 1)
        self.assertIn("name", shown.changed_fields)
        self.assertTrue(shown.record_exists)
        self.assertEqual(shown.record_name, "After tracking")
        action = shown.action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", self.partner.id))

    def test_write_of_ignored_fields_only_is_no_event(self):
        self.track_partners().write({"ignored_columns": "write_date, write_uid, comment"})
        self.partner.write({"comment": "<p>internal note</p>"})
        self.assertEqual(self.partner_events(), [])

    def test_disabling_tracking_removes_the_trigger(self):
        tracked = self.track_partners()
        tracked.action_disable_tracking()
        self.assertFalse(tracked.tracking_enabled)
        self.assertFalse(tracked.capture_installed)
        self.partner.write({"name": "Not captured"})
        self.assertEqual(self.partner_events(), [])
        tracked.action_enable_tracking()
        self.assertTrue(tracked.capture_installed)
        self.partner.write({"name": "Captured again"})
        self.assertEqual(len(self.partner_events()), 1)

    def test_deleting_the_tracked_model_untracks_it(self):
        tracked = self.track_partners()
        tracked.unlink()
        self.assertFalse(self.sql_value("SELECT count(*) FROM webhook_tracked_model WHERE model = 'res.partner'"))
        self.assertFalse(self.sql_value("SELECT webhook_capture_installed('res.partner')"))

    def test_model_tracked_from_psql_shows_up(self):
        self.sql_value("SELECT webhook_track('res.partner')")
        self.env.invalidate_all()
        tracked = self.env["webhook.tracked.model"].search([("model", "=", "res.partner")])
        self.assertEqual(tracked.id, self.partner_model.id)
        self.assertTrue(tracked.capture_installed)
