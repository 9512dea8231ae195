from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestCancel(WebhookCase):
    """Cancel a dead delivery: kept, no longer counted as a problem, still sendable."""

    def row(self, delivery):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT status, cancelled_at IS NOT NULL, cancelled_by FROM webhook_delivery WHERE id = %s",
            [delivery.id],
        )
        return self.env.cr.fetchone()

    def test_cancel_keeps_a_dead_delivery_and_records_who(self):
        delivery = self.insert_delivery("dead")
        self.insert_attempt(delivery)
        delivery.action_cancel()
        self.assertEqual(self.row(delivery), ("cancelled", True, self.env.user.login))
        self.assertEqual(delivery.status, "cancelled")
        self.assertEqual(delivery.cancelled_by, self.env.user.login)
        self.assertTrue(delivery.cancelled_at)
        self.assertEqual(len(delivery.attempt_ids), 1, "its attempts are kept")
        # Cancelling again is what was asked, not an error (the schema's rule, as in the CLI).
        delivery.action_cancel()
        self.assertEqual(self.row(delivery), ("cancelled", True, self.env.user.login))

    def test_cancel_refuses_a_delivery_that_is_not_dead(self):
        for record_id, status in enumerate(("pending", "processing", "failed", "sent"), start=1):
            delivery = self.insert_delivery(status, record_id=record_id)
            # The schema's refusal, in one line of plain words (no SQL): it alone decides.
            with self.assertRefused(
                UserError, rf"^Delivery {delivery.id} is {status}, not dead: only dead deliveries can be cancelled\. [^\n]+$"
            ):
                delivery.action_cancel()
            # The schema refuses too (a list opened before the status changed), in plain words,
            # with no failed query in Odoo's log, and the transaction stays usable.
            with self.assertRefused(UserError, rf"Delivery {delivery.id} is {status}, not dead"):
                delivery._cancel()
            self.assertEqual(self.row(delivery), (status, False, None))

    def test_cancel_selected_cancels_dead_ones_and_skips_the_others(self):
        dead = self.insert_delivery("dead", record_id=1)
        other_dead = self.insert_delivery("dead", record_id=2)
        failed = self.insert_delivery("failed", record_id=3)
        action = (dead | other_dead | failed).action_cancel_selected()
        self.assertEqual(self.row(dead)[0], "cancelled")
        self.assertEqual(self.row(other_dead)[0], "cancelled")
        self.assertEqual(self.row(failed)[0], "failed")
        self.assertIn("2 deliveries cancelled", action["params"]["message"])
        self.assertIn("1 skipped", action["params"]["message"])

    def test_cancelled_is_not_counted_as_dead_or_shown_as_not_sent(self):
        self.env.cr.execute("DELETE FROM webhook_delivery")
        self.insert_delivery("dead", record_id=1)
        self.insert_delivery("dead", record_id=2).action_cancel()
        self.env.invalidate_all()
        overview = self.env["webhook.overview"].browse(1)
        self.assertEqual((overview.dead_count, overview.cancelled_count), (1, 1))
        # This hour's bar: the dead one is a problem, the cancelled one is not.
        self.assertIn("1 failed or dead", overview.hourly_chart)
        self.assertNotIn("2 failed or dead", overview.hourly_chart)
        self.assertEqual((self.subscriber.dead_count, self.subscriber.failed_count), (1, 0))
        # The Deliveries menu opens on "Not Sent": the cancelled one is not there.
        action = self.env["ir.actions.act_window"]._for_xml_id("webhook_sidecar.webhook_delivery_action")
        self.assertIn("search_default_not_sent", action["context"])
        search = self.env.ref("webhook_sidecar.webhook_delivery_view_search")
        self.assertIn("('status', 'not in', ('sent', 'cancelled'))", search.arch)
        shown = self.Delivery.search([("status", "not in", ("sent", "cancelled"))])
        self.assertEqual(shown.mapped("record_id"), [1])
        opened = overview.with_context(delivery_status="cancelled").action_open_deliveries()
        self.assertEqual(opened["context"], {"search_default_status_cancelled": 1})

    def test_retry_sends_a_cancelled_delivery_again(self):
        delivery = self.insert_delivery("dead")
        delivery.action_cancel()
        delivery.action_retry()
        self.assertEqual(self.row(delivery), ("pending", False, None))
        cancelled = self.insert_delivery("dead", record_id=2)
        cancelled.action_cancel()
        action = cancelled.action_retry_selected()
        self.assertEqual(self.row(cancelled)[0], "pending")
        self.assertNotIn("skipped", action["params"]["message"])

    def test_only_managers_cancel(self):
        viewer = new_test_user(self.env, login="webhook_cancel_viewer",
                               groups="base.group_user,webhook_sidecar.group_webhook_user")
        delivery = self.insert_delivery("dead")
        with self.assertRaises(AccessError):
            delivery.with_user(viewer).action_cancel()
        with self.assertRaises(AccessError):
            delivery.with_user(viewer).action_cancel_selected()
        self.assertEqual(self.row(delivery)[0], "dead")
