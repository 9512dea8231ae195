from lxml import etree

from odoo.tests import tagged

from .common import WebhookCase

# Numbers that name things (ids, positions, HTTP codes): a grouped list must not add them up.
NOT_SUMMED = {
    "webhook.delivery": ["record_id", "first_event_id", "last_event_id", "content_version", "last_status_code", "attempts"],
    "webhook.attempt": ["attempt", "status_code"],
    "webhook.event": ["record_id", "txid"],
    "webhook.device": ["cursor_seq", "offered_seq"],
}
# Fields shown as plain numbers (12345, not 12,345) in these views.
PLAIN_NUMBERS = {
    ("webhook.delivery", "list"): ["id", "record_id"],
    ("webhook.delivery", "form"): ["record_id", "first_event_id", "last_event_id"],
    ("webhook.event", "list"): ["id", "record_id"],
    ("webhook.event", "form"): ["record_id", "txid"],
    ("webhook.device", "form"): ["cursor_seq", "offered_seq"],
}


@tagged("post_install", "-at_install")
class TestLists(WebhookCase):
    def arch(self, model, view_type):
        return etree.fromstring(self.env[model].get_views([(False, view_type)])["views"][view_type]["arch"])

    def test_grouped_lists_do_not_sum_ids_and_http_codes(self):
        for model, names in NOT_SUMMED.items():
            described = self.env[model].fields_get(names, ["aggregator"])
            for name in names:
                self.assertFalse(described[name].get("aggregator"), f"{model}.{name}")
        self.assertEqual(self.env["webhook.attempt"].fields_get(["duration_ms"], ["aggregator"])["duration_ms"]["aggregator"], "avg")

    def test_ids_are_shown_without_thousands_separators(self):
        for (model, view_type), names in PLAIN_NUMBERS.items():
            arch = self.arch(model, view_type)
            for name in names:
                nodes = arch.xpath(f"//field[@name='{name}']")
                self.assertTrue(nodes, f"{model} {view_type}: {name}")
                for node in nodes:
                    self.assertIn("'enable_formatting': false", node.get("options", ""), f"{model} {view_type}: {name}")

    def test_a_connection_error_shows_no_http_code(self):
        # The sidecar leaves the code empty when no answer came; Odoo would show it as 0.
        delivery = self.insert_delivery("failed")
        self.env.cr.execute("UPDATE webhook_delivery SET last_status_code = NULL WHERE id = %s", [delivery.id])
        self.env.invalidate_all()
        self.assertEqual(delivery.last_status_code, 0)
        for model, view_type, name in (
            ("webhook.delivery", "list", "last_status_code"),
            ("webhook.delivery", "form", "last_status_code"),
            ("webhook.attempt", "form", "status_code"),
        ):
            for node in self.arch(model, view_type).xpath(f"//field[@name='{name}']"):
                self.assertEqual(node.get("invisible"), f"not {name}", f"{model} {view_type}")

    def test_the_overview_refreshes_by_itself(self):
        arch = self.arch("webhook.overview", "form")
        self.assertTrue(arch.xpath("//widget[@name='webhook_auto_refresh']"))
