from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestOperations(WebhookCase):
    """Why deliveries wait, the sidecar's liveness, pause, Run now, deleting, activities."""

    def heartbeat(self, instance="sidecar-a", seconds_ago=0, stopped=False):
        self.env.cr.execute(
            """
            INSERT INTO webhook_sidecar_instance (instance_id, host, version, started_at, last_seen_at, stopped_at)
            VALUES (%s, 'host', '1.0', now() - interval '1 hour', now() - make_interval(secs => %s),
                    CASE WHEN %s THEN now() END)
            """,
            [instance, seconds_ago, stopped],
        )
        self.env.invalidate_all()

    def test_no_sidecar_says_so(self):
        Instance = self.env["webhook.sidecar.instance"]
        self.assertIn("No sidecar has reported yet", Instance.get_down_banner())
        self.heartbeat(stopped=True)
        self.assertIn("all were stopped", Instance.get_down_banner())
        instance = Instance.search([])
        self.assertTrue(instance.state.startswith("Stopped at "))
        self.heartbeat("sidecar-b", seconds_ago=120)
        self.assertIn("no heartbeat", Instance.get_down_banner())
        self.heartbeat("sidecar-c")
        self.assertFalse(Instance.get_down_banner())
        self.assertEqual(Instance.search([("instance_id", "=", "sidecar-c")]).state, "Running")

    def test_a_waiting_delivery_says_why(self):
        self.heartbeat()
        delivery = self.insert_delivery(status="pending")
        self.assertFalse(delivery.wait_reason)
        self.env.cr.execute(
            "INSERT INTO webhook_subscriber_breaker (subscriber_id, instance_id, state) VALUES (%s, 'sidecar-a', 'open')",
            [self.subscriber.id],
        )
        self.env.invalidate_all()
        self.assertEqual(self.subscriber.breaker_state, "open")
        self.assertIn("circuit breaker is open", delivery.wait_reason)
        self.subscriber.action_pause()
        self.env.invalidate_all()
        self.assertTrue(self.sql_value("SELECT paused FROM webhook_subscriber WHERE id = %s", [self.subscriber.id]))
        self.assertIn("Paused", delivery.wait_reason)
        self.subscriber.action_resume()
        self.subscriber.active = False
        self.env.invalidate_all()
        self.assertIn("Inactive", delivery.wait_reason)
        self.assertFalse(self.insert_delivery(status="sent").wait_reason)

    def test_stale_breaker_rows_are_not_believed(self):
        self.env.cr.execute(
            "INSERT INTO webhook_subscriber_breaker (subscriber_id, instance_id, state, updated_at)"
            " VALUES (%s, 'gone', 'open', now() - interval '5 minutes')",
            [self.subscriber.id],
        )
        self.env.invalidate_all()
        self.assertEqual(self.subscriber.breaker_state, "unknown")

    def test_health_figures(self):
        self.heartbeat()
        self.insert_delivery(status="sent")
        self.insert_delivery(status="pending")
        failed = self.insert_delivery(status="failed", record_id=2)
        self.env.cr.execute("UPDATE webhook_delivery SET last_attempt_at = now() WHERE id = %s", [failed.id])
        self.env.invalidate_all()
        self.assertEqual(self.subscriber.waiting_count, 2)
        self.assertTrue(self.subscriber.waiting_since)
        self.assertTrue(self.subscriber.last_success_at)
        self.assertEqual(self.subscriber.last_error, "Internal Server Error")

    def test_send_test_event_says_it_waits_without_a_sidecar(self):
        message = self.subscriber.action_queue_test_event()["params"]["message"]
        self.assertIn("will wait", message)
        self.heartbeat()
        message = self.subscriber.action_queue_test_event()["params"]["message"]
        self.assertNotIn("will wait", message)

    def test_run_cleanup_now(self):
        action = self.env["webhook.job.run"].action_run_cleanup_now()
        self.assertIn("no sidecar runs it now", action["params"]["message"])
        self.assertEqual(self.sql_value("SELECT count(*) FROM webhook_job_request WHERE job = 'cleanup' AND picked_at IS NULL"), 1)
        self.heartbeat()
        action = self.env["webhook.job.run"].action_run_cleanup_now()
        self.assertIn("within seconds", action["params"]["message"])

    def test_deleting_a_subscriber_with_history_says_how_much(self):
        delivery = self.insert_delivery(status="dead")
        self.insert_attempt(delivery)
        with self.assertRefused(UserError, "1 deliveries and 1 attempts"):
            self.subscriber.unlink()
        self.assertTrue(self.subscriber.exists())
        self.subscriber.action_delete_with_history()
        self.assertFalse(self.sql_value("SELECT count(*) FROM webhook_delivery WHERE id = %s", [delivery.id]))

    def test_a_subscriber_without_history_deletes_plainly(self):
        other = self.Subscriber.create({"name": "Empty", "url": "http://127.0.0.1:9/x"})
        other.unlink()
        self.assertFalse(other.exists())

    def test_attempts_newest_first_numbered_across_replays(self):
        delivery = self.insert_delivery(status="failed")
        self.insert_attempt(delivery, attempt=1)
        self.env.cr.execute("UPDATE webhook_attempt SET started_at = now() - interval '2 minutes' WHERE delivery_id = %s", [delivery.id])
        self.insert_attempt(delivery, attempt=1)  # after a replay, attempt restarts at 1
        attempts = delivery.attempt_ids
        self.assertEqual(attempts.mapped("number"), [2, 1])
        self.assertEqual(attempts.mapped("error_message"), ["HTTP 500", "HTTP 500"])

    def test_links_to_the_record_and_the_events(self):
        partner = self.env["res.partner"].create({"name": "Linked"})
        delivery = self.insert_delivery(status="sent", record_id=partner.id)
        self.assertTrue(delivery.record_exists)
        self.assertEqual(delivery.action_open_record()["res_id"], partner.id)
        self.assertIn(("record_id", "=", partner.id), delivery.action_open_events()["domain"])
        gone = self.insert_delivery(status="sent", model="no.such.model", record_id=1)
        self.assertFalse(gone.record_exists)
        with self.assertRaises(UserError):
            gone.action_open_record()

    def test_dead_deliveries_raise_an_activity_when_opted_in(self):
        self.env.ref("webhook_sidecar.group_webhook_manager").sudo()
        self.subscriber.notify_dead = True
        self.env.invalidate_all()
        self.assertTrue(self.subscriber.notify_dead)
        self.env.cr.execute("UPDATE webhook_dead_alert SET checked_at = now() - interval '1 hour'")
        self.insert_delivery(status="dead")
        self.env.cr.execute("UPDATE webhook_delivery SET updated_at = now()")
        self.Subscriber._cron_notify_dead_deliveries()
        activities = self.env["mail.activity"].search([("res_model", "=", "webhook.subscriber"), ("res_id", "=", self.subscriber.id)])
        self.assertTrue(activities)
        self.assertIn("1 dead deliveries", activities[0].summary)
        # Nothing new: no second activity.
        self.Subscriber._cron_notify_dead_deliveries()
        self.assertEqual(
            self.env["mail.activity"].search_count([("res_model", "=", "webhook.subscriber"), ("res_id", "=", self.subscriber.id)]),
            len(activities),
        )
        # Not opted in: nothing.
        self.subscriber.notify_dead = False
        self.assertFalse(self.env["webhook.dead.alert"].search([]))
