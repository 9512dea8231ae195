from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestAccess(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.viewer = new_test_user(cls.env, login="webhook_viewer", groups="base.group_user,webhook_sidecar.group_webhook_user")
        cls.employee = new_test_user(cls.env, login="webhook_employee", groups="base.group_user")
        cls.manager = new_test_user(cls.env, login="webhook_manager", groups="base.group_user,webhook_sidecar.group_webhook_manager")

    def test_admin_is_a_manager(self):
        self.assertTrue(self.env.ref("base.user_admin").has_group("webhook_sidecar.group_webhook_manager"))

    def test_viewer_reads_statuses_but_not_secrets(self):
        delivery = self.insert_delivery("dead")
        as_viewer = delivery.with_user(self.viewer)
        self.assertEqual(as_viewer.status, "dead")
        self.assertEqual(as_viewer.subscriber_id.with_user(self.viewer).name, "Test receiver")
        subscriber = self.subscriber.with_user(self.viewer)
        self.assertEqual(subscriber.dead_count, 1)
        for secret_field in ("secret", "previous_secret", "url", "headers_json"):
            with self.assertRaises(AccessError, msg=secret_field):
                subscriber.read([secret_field])
        self.assertNotIn("secret", subscriber.fields_get())

    def test_viewer_cannot_retry_or_configure(self):
        delivery = self.insert_delivery("dead")
        with self.assertRaises(AccessError):
            delivery.with_user(self.viewer).action_retry()
        with self.assertRaises(AccessError):
            delivery.with_user(self.viewer).action_retry_selected()
        self.assertEqual(self.sql_value("SELECT status FROM webhook_delivery WHERE id = %s", [delivery.id]), "dead")
        with self.assertRaises(AccessError):
            self.Subscriber.with_user(self.viewer).create({"name": "Nope", "url": "https://example.com"})
        with self.assertRaises(AccessError):
            self.subscriber.with_user(self.viewer).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.subscriber.with_user(self.viewer).action_send_test_event()
        with self.assertRaises(AccessError):
            self.env["webhook.tracked.model"].with_user(self.viewer).create(
                {"model_id": self.env["ir.model"]._get("res.partner").id}
            )

    def test_internal_user_without_the_group_sees_nothing(self):
        self.insert_delivery("dead")
        for model in ("webhook.delivery", "webhook.subscriber", "webhook.event", "webhook.overview"):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.employee).search([])

    def test_manager_configures_sees_secrets_and_retries(self):
        delivery = self.insert_delivery("dead")
        delivery.with_user(self.manager).action_retry()
        self.assertEqual(self.sql_value("SELECT status FROM webhook_delivery WHERE id = %s", [delivery.id]), "pending")
        subscriber = self.Subscriber.with_user(self.manager).create({"name": "By manager", "url": "https://example.com"})
        self.assertTrue(subscriber.secret.startswith("whsec_"))
        tracked = self.env["webhook.tracked.model"].with_user(self.manager).create(
            {"model_id": self.env["ir.model"]._get("res.partner").id}
        )
        self.assertTrue(tracked.capture_installed)

    def test_groups_are_filed_under_webhooks(self):
        """In the user form: a category on Odoo 18, a privilege (with that category) on 19."""
        category = self.env.ref("webhook_sidecar.module_category_webhooks")
        for xml_id in ("webhook_sidecar.group_webhook_user", "webhook_sidecar.group_webhook_manager"):
            group = self.env.ref(xml_id)
            if "privilege_id" in group._fields:
                self.assertEqual(group.privilege_id, self.env.ref("webhook_sidecar.res_groups_privilege_webhooks"))
                self.assertEqual(group.privilege_id.category_id, category)
            else:
                self.assertEqual(group.category_id, category)
