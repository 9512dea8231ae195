from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestOverview(WebhookCase):
    def test_counts_oldest_pending_instances_and_job_runs(self):
        self.env.cr.execute("DELETE FROM webhook_delivery")
        self.insert_delivery("pending", record_id=1, attempts=0)
        self.insert_delivery("dead", record_id=2)
        self.insert_delivery("sent", record_id=3)
        self.env.cr.execute(
            """
            INSERT INTO webhook_sidecar_instance (instance_id, host, version, last_seen_at, stopped_at)
            VALUES ('alive-1', 'host-a', '1.0.0', now(), NULL),
                   ('silent-2', 'host-b', '1.0.0', now() - interval '10 minutes', NULL),
                   ('stopped-3', 'host-c', '1.0.0', now() - interval '1 minute', now());
            INSERT INTO webhook_job_run (job, instance_id, started_at, finished_at, result)
            VALUES ('orphan_cleanup', 'alive-1', now() - interval '2 seconds', now(),
                    '{"orphans": {"res.partner": {"deliveries": 2, "events": 10}, "sale.order": {"deliveries": 0, "events": 0}},
                      "purged": {"sent_deliveries": 3, "dead_deliveries": 0}}');
            """
        )
        self.env.invalidate_all()
        overview = self.env["webhook.overview"].browse(1)
        self.assertEqual(
            (overview.pending_count, overview.processing_count, overview.sent_count,
             overview.failed_count, overview.dead_count),
            (1, 0, 1, 0, 1),
        )
        self.assertIn("min", overview.oldest_pending_age)  # five minutes old
        self.assertEqual(overview.alive_count, 1)
        alive = {instance.instance_id: instance.alive for instance in overview.instance_ids}
        self.assertEqual(alive, {"alive-1": True, "silent-2": False, "stopped-3": False})
        run = overview.job_run_ids.filtered(lambda run: run.job == "orphan_cleanup")
        self.assertEqual(run.rows_affected, 15)
        self.assertEqual(
            run.result_summary,
            "orphans res.partner deliveries: 2, orphans res.partner events: 10, purged sent_deliveries: 3",
        )
        self.assertEqual(run.state, "done")
        self.assertIn("peak", overview.hourly_chart)
