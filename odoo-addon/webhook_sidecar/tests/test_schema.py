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

    def test_uninstall_never_drops_the_sidecar_schema(self):
        # What Odoo does to an uninstalled addon's models and fields, here rolled back with the test.
        IrModel = self.env["ir.model"]
        mapped = IrModel.search([("model", "in", [
            "webhook.subscriber", "webhook.delivery", "webhook.attempt", "webhook.event",
            "webhook.tracked.model", "webhook.sidecar.instance", "webhook.job.run",
            "webhook.api.token", "webhook.device",
        ])])
        self.assertEqual(len(mapped), 9)
        mapped._drop_table()
        mapped.field_id._drop_column()
        self.assertEqual(missing_schema_objects(self.env.cr), [])
        self.env.cr.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'webhook_subscriber' AND column_name IN ('name', 'url', 'secret')"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 3)
