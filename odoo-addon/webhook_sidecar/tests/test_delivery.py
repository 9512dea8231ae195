from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestDelivery(WebhookCase):
    def status_in_db(self, delivery):
        self.env.cr.execute("SELECT status, attempts FROM webhook_delivery WHERE id = %s", [delivery.id])
        return self.env.cr.fetchone()

    def test_retry_now_moves_a_dead_delivery_back_to_pending(self):
        delivery = self.insert_delivery("dead")
        self.assertEqual((delivery.status, delivery.attempts), ("dead", 6))
        delivery.action_retry()
        self.assertEqual(self.status_in_db(delivery), ("pending", 0))
        self.assertEqual((delivery.status, delivery.attempts), ("pending", 0))
        self.assertEqual(delivery.content_version, 1, "a replay gets a new webhook-id")

    def test_retry_selected_retries_failed_and_dead_only(self):
        dead = self.insert_delivery("dead", record_id=1)
        failed = self.insert_delivery("failed", record_id=2)
        sent = self.insert_delivery("sent", record_id=3)
        action = (dead | failed | sent).action_retry_selected()
        self.assertEqual(self.status_in_db(dead)[0], "pending")
        self.assertEqual(self.status_in_db(failed)[0], "pending")
        self.assertEqual(self.status_in_db(sent)[0], "sent")
        self.assertIn("1 skipped", action["params"]["message"])

    def test_retry_merges_with_a_newer_open_delivery_of_the_record(self):
        dead = self.insert_delivery("dead", record_id=7)
        newer = self.insert_delivery("pending", record_id=7, attempts=0)
        dead.action_retry()
        self.assertEqual(self.status_in_db(dead)[0], "pending")
        self.assertFalse(self.sql_value("SELECT count(*) FROM webhook_delivery WHERE id = %s", [newer.id]))
        self.assertEqual(dead.coalesced_count, 2)

    def test_retry_of_a_delivery_in_flight_is_refused_clearly(self):
        delivery = self.insert_delivery("processing")
        with self.assertRaises(UserError):
            delivery.action_retry()
        # The savepoint kept the transaction usable.
        self.assertEqual(self.status_in_db(delivery)[0], "processing")

    def test_attempts_are_listed_on_the_delivery(self):
        delivery = self.insert_delivery("failed")
        self.insert_attempt(delivery, attempt=1, status_code=500)
        self.insert_attempt(delivery, attempt=2, status_code=None, error_type="timeout")
        self.assertEqual(delivery.attempt_ids.mapped("attempt"), [2, 1])
        self.assertEqual(delivery.attempt_ids[1].status_code, 500)
        self.assertEqual(delivery.attempt_ids[0].error_type, "timeout")
        self.assertEqual(delivery.attempt_ids[0].response_excerpt, "oops")
        self.assertEqual(delivery.attempt_ids[0].duration_ms, 42)

    def test_filters_and_group_by_status(self):
        self.insert_delivery("dead", record_id=1)
        self.insert_delivery("sent", record_id=2)
        self.insert_delivery("sent", record_id=3)
        # _read_group: the same on Odoo 18 and 19 (19 deprecated read_group).
        groups = self.Delivery._read_group([("subscriber_id", "=", self.subscriber.id)], ["status"], ["__count"])
        self.assertEqual(dict(groups), {"dead": 1, "sent": 2})
        not_sent = self.Delivery.search([("subscriber_id", "=", self.subscriber.id), ("status", "!=", "sent")])
        self.assertEqual(not_sent.mapped("status"), ["dead"])
        # Deliveries per hour, as the graph and pivot views ask for them.
        hourly = self.Delivery._read_group([("subscriber_id", "=", self.subscriber.id)], ["created_hour"], ["__count"])
        self.assertEqual(sum(count for _hour, count in hourly), 3)
        self.assertRegex(hourly[0][0], r"^\d{4}-\d{2}-\d{2} \d{2}:00$")
        tokyo_hour = self.Delivery.with_context(tz="Asia/Tokyo").search(
            [("subscriber_id", "=", self.subscriber.id)], limit=1).created_hour
        self.env.invalidate_all()
        utc_hour = self.Delivery.with_context(tz="UTC").search(
            [("subscriber_id", "=", self.subscriber.id)], limit=1).created_hour
        self.assertNotEqual(tokyo_hour, utc_hour)
