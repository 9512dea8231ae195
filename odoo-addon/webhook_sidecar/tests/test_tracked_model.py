from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..schema import call_function
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


@tagged("post_install", "-at_install")
class TestTrackedModelRefusals(WebhookCase):
    """Nothing is saved that can never capture a change, and the admin reads why in plain words."""

    def track(self, model_name, **vals):
        return self.env["webhook.tracked.model"].create({"model_id": self.env["ir.model"]._get(model_name).id, **vals})

    def assertNotTracked(self, message, model_name, **vals):
        with self.assertRefused(ValidationError, message):
            self.track(model_name, **vals)
        self.assertFalse(self.sql_value("SELECT count(*) FROM webhook_tracked_model WHERE model = %s", [model_name]))

    def test_a_wizard_is_refused(self):
        wizard = self.env["ir.model"].search([("transient", "=", True), ("model", "=", "base.language.install")])
        self.assertTrue(wizard)
        self.assertNotTracked(r"\(base\.language\.install\) is a wizard", "base.language.install")

    def test_an_abstract_model_is_refused(self):
        self.assertTrue(self.env["image.mixin"]._abstract)
        self.assertNotTracked(r"\(image\.mixin\) is an abstract model", "image.mixin")

    def test_a_model_without_a_table_is_refused(self):
        self.assertNotTracked(r"\(webhook\.overview\) is not stored in a table of its own", "webhook.overview")

    def test_the_sidecars_own_tables_are_refused(self):
        self.assertNotTracked("belongs to the webhook sidecar itself", "webhook.delivery")

    def test_ignored_fields_that_do_not_exist_are_refused(self):
        self.assertNotTracked(
            r"^Contact \(res\.partner\) has no stored field colour, nmae\. Ignored fields",
            "res.partner", ignored_columns="write_date, colour, nmae",
        )
        tracked = self.track("res.partner")
        with self.assertRefused(ValidationError, "has no stored field colour"):
            tracked.write({"ignored_columns": "write_date, colour"})
        self.assertEqual(
            self.sql_value("SELECT ignored_columns FROM webhook_tracked_model WHERE model = 'res.partner'"),
            ["write_date", "write_uid"],
        )
        # A many2many field has no column of the model's table, so it cannot be ignored either.
        with self.assertRefused(ValidationError, "has no stored field category_id"):
            tracked.write({"ignored_columns": "category_id"})

    def test_a_refusal_of_the_schema_is_a_sentence_and_no_bad_query(self):
        with self.assertRefused(UserError, "is not tracked"):
            call_function(self.env.cr, "webhook_untrack", "res.partner")

    def test_the_model_picker_finds_models_by_technical_name(self):
        partner = self.env["ir.model"]._get("res.partner")
        picker = self.env["ir.model"].with_context(webhook_show_technical_name=True)
        found = dict(picker.name_search("res.partner", [("transient", "=", False)], limit=20))
        self.assertEqual(found.get(partner.id), "Contact (res.partner)")
        self.assertEqual(dict(picker.name_search("Contact", limit=20)).get(partner.id), "Contact (res.partner)")
        # Elsewhere in Odoo a model keeps its usual name.
        self.assertEqual(self.env["ir.model"].browse(partner.id).display_name, "Contact")
