from odoo.exceptions import UserError
from odoo.tests import tagged

from ..hooks import pre_init_hook
from ..schema import SCHEMA_MISSING_MESSAGE, missing_schema_objects
from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestSchema(WebhookCase):
    def test_installed_against_the_sidecar_schema(self):
        self.assertEqual(missing_schema_objects(self.env.cr), [])
        self.assertTrue(self.env["ir.module.module"].search([("name", "=", "webhook_sidecar"), ("state", "=", "installed")]))
        # The models read the sidecar's tables: the subscriber made in setUpClass is a real row.
        self.assertEqual(
            self.sql_value("SELECT name FROM webhook_subscriber WHERE id = %s", [self.subscriber.id]),
            "Test receiver",
        )

    def test_install_without_schema_says_to_run_migrate(self):
        # DDL is transactional: the rename is rolled back with the test.
        self.env.cr.execute("ALTER TABLE webhook_delivery RENAME TO webhook_delivery_hidden")
        with self.assertRaises(UserError) as caught:
            pre_init_hook(self.env)
        self.assertIn(SCHEMA_MISSING_MESSAGE, str(caught.exception))
        self.assertIn("webhook_delivery", str(caught.exception))
        self.assertIn("java -jar odoo-webhook-sidecar.jar migrate", str(caught.exception))
