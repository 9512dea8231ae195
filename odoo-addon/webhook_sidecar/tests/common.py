from contextlib import contextmanager

from odoo.tests import TransactionCase


class WebhookCase(TransactionCase):
    """Runs against a database where the sidecar's sql/ was applied; every test rolls back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Subscriber = cls.env["webhook.subscriber"]
        cls.Delivery = cls.env["webhook.delivery"]
        cls.subscriber = cls.Subscriber.create(
            {"name": "Test receiver", "url": "http://127.0.0.1:9/hook"}
        )

    @contextmanager
    def assertRefused(self, exception, pattern):
        """The block raises this exception with a message matching this pattern, inside a
        savepoint (Odoo's assertRaises: unittest's assertRaisesRegex would keep what the block
        wrote before raising), and Odoo logs no failed query for it."""
        with self.assertNoLogs("odoo.sql_db", level="ERROR"), self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def insert_delivery(self, status="dead", subscriber=None, model="res.partner", record_id=1,
                        attempts=6, event="write"):
        """A delivery as the sidecar would leave it (the addon itself never creates them)."""
        subscriber = subscriber or self.subscriber
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO webhook_delivery
                (subscriber_id, model, record_id, event, changed_fields, status, attempts,
                 first_event_id, last_event_id, first_captured_at, last_captured_at,
                 last_status_code, last_error_type, last_error,
                 locked_by, locked_until, sent_at)
            VALUES (%(subscriber)s, %(model)s, %(record_id)s, %(event)s, ARRAY['name'], %(status)s,
                    %(attempts)s, 1, 1, now() - interval '5 minutes', now() - interval '5 minutes',
                    500, 'http_error', 'Internal Server Error',
                    CASE WHEN %(status)s = 'processing' THEN 'sidecar-test' END,
                    CASE WHEN %(status)s = 'processing' THEN now() + interval '1 minute' END,
                    CASE WHEN %(status)s = 'sent' THEN now() END)
            RETURNING id
            """,
            {"subscriber": subscriber.id, "model": model, "record_id": record_id, "event": event,
             "status": status, "attempts": attempts},
        )
        delivery_id = self.env.cr.fetchone()[0]
        self.env.invalidate_all()
        return self.Delivery.browse(delivery_id)

    def insert_attempt(self, delivery, attempt=1, status_code=500, error_type="http_error"):
        self.env.cr.execute(
            """
            INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, message_id,
                                         status_code, error_type, error_message, response_excerpt,
                                         sidecar_id)
            VALUES (%s, %s, now(), 42, 'msg_test', %s, %s, 'HTTP 500', 'oops', 'sidecar-test')
            """,
            [delivery.id, attempt, status_code, error_type],
        )
        self.env.invalidate_all()

    def sql_value(self, query, params=()):
        self.env.flush_all()
        self.env.cr.execute(query, params)
        return self.env.cr.fetchone()[0]
