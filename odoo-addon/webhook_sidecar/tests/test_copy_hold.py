from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestCopyHold(WebhookCase):
    """A copy of the database holds its deliveries until a webhook manager confirms it may
    deliver: every Webhooks screen says so, and the banner's button confirms."""

    def setUp(self):
        super().setUp()
        self.Instance = self.env["webhook.sidecar.instance"]
        self.viewer = new_test_user(self.env, login="webhook_copy_viewer", groups="base.group_user,webhook_sidecar.group_webhook_user")

    def make_a_copy(self, held=True):
        """As the sidecar's tests do: the recorded identity becomes another database's, and a
        sidecar start (webhook_check_installation) notices it and holds the deliveries."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE webhook_installation SET database_oid = 1")
        if held:
            self.env.cr.execute("SELECT webhook_check_installation()")
            self.assertEqual(self.env.cr.fetchone()[0], "held")
        self.env.invalidate_all()

    def state(self):
        return self.sql_value("SELECT state FROM webhook_installation_status()")

    def test_the_original_database_shows_no_copy_banner(self):
        self.assertEqual(self.state(), "original")
        banners = self.Instance.get_banners()
        self.assertFalse(banners["copy"])
        self.assertFalse(banners["can_confirm_copy"])

    def test_a_held_copy_says_so_and_a_manager_confirms(self):
        self.make_a_copy()
        self.assertTrue(self.subscriber.paused, "the hold paused it")
        banners = self.Instance.get_banners()
        self.assertIn("Deliveries are held: this database is a copy", banners["copy"])
        self.assertNotIn("SELECT", banners["copy"], "no SQL in words for an admin")
        self.assertTrue(banners["can_confirm_copy"])
        self.assertIn("Held: this database is a copy", self.subscriber._wait_reason("unknown", False))

        message = self.Instance.action_confirm_copy()
        self.assertIn("1 subscriber(s) paused by the hold were resumed", message)
        self.env.invalidate_all()
        self.assertFalse(self.subscriber.paused)
        self.assertEqual(self.state(), "original")
        self.assertFalse(self.Instance.get_banners()["copy"])

    def test_only_managers_may_confirm(self):
        self.make_a_copy()
        as_viewer = self.Instance.with_user(self.viewer)
        banners = as_viewer.get_banners()
        self.assertIn("Deliveries are held", banners["copy"], "everyone who sees the screens is told")
        self.assertFalse(banners["can_confirm_copy"], "but only managers get the button")
        with self.assertRaises(AccessError):
            as_viewer.action_confirm_copy()
        self.assertEqual(self.state(), "held")

    def test_a_copy_no_sidecar_held_yet_can_be_confirmed_in_advance(self):
        self.make_a_copy(held=False)
        self.assertEqual(self.state(), "copy")
        self.assertIn("the first sidecar to start on it will hold", self.Instance.get_banners()["copy"])
        self.assertIn("Confirmed in advance", self.Instance.action_confirm_copy())
        self.env.invalidate_all()
        self.assertEqual(self.state(), "original")
        self.assertFalse(self.subscriber.paused, "left as it was")

    def test_confirming_the_original_changes_nothing(self):
        self.assertIn("nothing to confirm", self.Instance.action_confirm_copy())
        self.assertEqual(self.state(), "original")
