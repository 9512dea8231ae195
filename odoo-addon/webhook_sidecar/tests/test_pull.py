import base64
import hashlib
import re

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..wizards.webhook_api_token_wizard import token_hash
from .common import WebhookCase

TOKEN_FORMAT = re.compile(r"^whpt_[A-Za-z0-9_-]{43}$")


@tagged("post_install", "-at_install")
class TestPull(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Wizard = cls.env["webhook.api.token.wizard"]
        cls.Token = cls.env["webhook.api.token"]
        cls.Device = cls.env["webhook.device"]
        cls.viewer = new_test_user(cls.env, login="pull_viewer", groups="base.group_user,webhook_sidecar.group_webhook_user")
        cls.manager = new_test_user(cls.env, login="pull_manager", groups="base.group_user,webhook_sidecar.group_webhook_manager")

    def create_token(self, name="sales-app", patterns="res.users, res.partner, res.country.*", user=None):
        """(token, webhook.api.token record) through the wizard, as a manager clicks it."""
        wizard = self.Wizard.with_user(user or self.manager).create({"name": name, "model_patterns": patterns})
        action = wizard.action_create_token()
        token = action["context"]["default_token"]
        record = self.Token.search([("name", "=", name), ("revoked", "=", False)])
        return token, record

    def insert_device(self, token_record, device_id, cursor, synced_ago="1 minute"):
        self.env.cr.execute(
            """
            INSERT INTO webhook_device (token_id, device_id, models, cursor_seq, offered_seq, last_sync_at)
            VALUES (%s, %s, ARRAY['res.partner'], %s, %s, now() - %s::interval)
            """,
            [token_record.id, device_id, cursor, cursor, synced_ago],
        )
        self.env.invalidate_all()
        return self.Device.search([("token_id", "=", token_record.id), ("device_id", "=", device_id)])

    def newest_seq(self):
        return self.sql_value(
            "SELECT greatest(coalesce(max(routed_seq), 0), (SELECT removed_through FROM webhook_pull_horizon))"
            " FROM webhook_event"
        )

    # ------------------------------------------------------------------ creating tokens

    def test_wizard_creates_a_token_in_the_sidecar_format(self):
        token, record = self.create_token()
        self.assertRegex(token, TOKEN_FORMAT)
        self.assertEqual(len(base64.urlsafe_b64decode(token.removeprefix("whpt_") + "=")), 32)
        self.env.cr.execute("SELECT token_hash, models, revoked_at FROM webhook_api_token WHERE id = %s", [record.id])
        stored_hash, models, revoked_at = self.env.cr.fetchone()
        self.assertEqual(stored_hash, hashlib.sha256(token.encode()).hexdigest())
        self.assertEqual(stored_hash, token_hash(token))
        self.assertEqual(models, ["res.country.*", "res.partner", "res.users"])
        self.assertIsNone(revoked_at)
        self.assertEqual((record.model_patterns, record.device_count, record.revoked),
                         ("res.country.*, res.partner, res.users", 0, False))
        self.assertTrue(record.created_at)
        # The plain token is written nowhere, not even in the wizard's own table.
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM webhook_api_token_wizard w WHERE row_to_json(w)::text LIKE %s",
            ["%" + token.removeprefix("whpt_") + "%"],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_two_tokens_differ(self):
        first, _record = self.create_token("app-one", "*")
        second, _record = self.create_token("app-two", "*")
        self.assertNotEqual(first, second)

    def test_duplicate_active_name_is_refused_until_revoked(self):
        _token, record = self.create_token("field-app", "res.partner")
        with self.assertRaisesRegex(UserError, "An active token named field-app exists already"):
            self.create_token("field-app", "res.users")
        record.with_user(self.manager).action_revoke()
        _token, again = self.create_token("field-app", "res.users")
        self.assertNotEqual(again, record)
        self.assertEqual(again.model_patterns, "res.users")

    def test_bad_model_patterns_are_refused(self):
        for patterns in ("Sale.Order", "res.partner, sale.*.line", "res partner!", " , "):
            with self.subTest(patterns=patterns), self.assertRaises(UserError):
                self.create_token("bad-app", patterns)
        self.assertFalse(self.sql_value("SELECT count(*) FROM webhook_api_token WHERE name = 'bad-app'"))

    def test_patterns_naming_no_installed_model_are_refused(self):
        for patterns in ("res.partner, sale.ordr", "nosuchapp.*", "res_partner"):
            with self.subTest(patterns=patterns), self.assertRefused(UserError, "no installed model has this name"):
                self.create_token("typo-app", patterns)
        self.assertFalse(self.sql_value("SELECT count(*) FROM webhook_api_token WHERE name = 'typo-app'"))
        # A prefix matches by its dot: res.partner.* finds res.partner.bank, not res.partner itself.
        _token, record = self.create_token("prefix-app", "res.partner.*, *")
        self.assertEqual(record.model_patterns, "*, res.partner.*")

    def test_the_database_constraint_has_the_final_word(self):
        wizard = self.Wizard.with_user(self.manager).create({"name": "x", "model_patterns": "*"})
        with self.assertRaisesRegex(UserError, "The token was not created: Name models such as"):
            wizard._insert_token("raw-app", ["Not A Model"], token_hash("whpt_x"))
        with self.assertRaisesRegex(UserError, "1 to 200 characters"):
            wizard._insert_token("n" * 201, ["*"], token_hash("whpt_y"))
        # The savepoint kept the transaction usable.
        self.assertFalse(self.sql_value("SELECT count(*) FROM webhook_api_token WHERE name = 'raw-app'"))

    # ------------------------------------------------------------------ revoking

    def test_revoke_sets_revoked_at_once(self):
        _token, record = self.create_token()
        record.with_user(self.manager).action_revoke()
        revoked_at = self.sql_value("SELECT revoked_at FROM webhook_api_token WHERE id = %s", [record.id])
        self.assertIsNotNone(revoked_at)
        self.assertTrue(record.revoked)
        self.assertTrue(record.revoked_at)
        record.action_revoke()
        self.assertEqual(
            self.sql_value("SELECT revoked_at FROM webhook_api_token WHERE id = %s", [record.id]), revoked_at
        )

    def test_plain_users_cannot_read_create_or_revoke_tokens(self):
        _token, record = self.create_token()
        with self.assertRaises(AccessError):
            self.Token.with_user(self.viewer).search([])
        with self.assertRaises(AccessError):
            record.with_user(self.viewer).read(["name"])
        with self.assertRaises(AccessError):
            record.with_user(self.viewer).action_revoke()
        self.assertIsNone(self.sql_value("SELECT revoked_at FROM webhook_api_token WHERE id = %s", [record.id]))
        with self.assertRaises(AccessError):
            self.create_token("viewer-app", "*", user=self.viewer)
        # No Odoo model maps the hash, for managers either.
        self.assertNotIn("token_hash", self.Token._fields)

    # ------------------------------------------------------------------ devices

    def test_devices_show_lag_resync_and_state(self):
        _token, record = self.create_token("sync-app", "res.partner")
        _token, revoked = self.create_token("old-app", "res.partner")
        base = self.newest_seq()
        # Five routed events after everything there is; routed_seq is normally the router's.
        self.env.cr.execute(
            """
            INSERT INTO webhook_event (model, record_id, event, routed_at, delivery_count, routed_seq)
            SELECT 'res.partner', 900000 + n, 'write', now(), 0, %s + n FROM generate_series(1, 5) n
            """,
            [base],
        )
        in_sync = self.insert_device(record, "phone-1", base + 5)
        behind = self.insert_device(record, "phone-2", base + 2)
        silent = self.insert_device(record, "tablet-9", base + 5, synced_ago="40 days")
        of_revoked = self.insert_device(revoked, "phone-1", base + 5)
        revoked.action_revoke()
        self.env.invalidate_all()

        self.assertEqual(len(in_sync | behind | silent | of_revoked), 4, "one stable id per (token, device)")
        self.assertEqual((in_sync.lag, in_sync.resync_required, in_sync.sync_state), (0, False, "active"))
        self.assertEqual((behind.lag, behind.resync_required, behind.cursor_seq), (3, False, base + 2))
        self.assertEqual(silent.sync_state, "silent")
        self.assertEqual(of_revoked.sync_state, "revoked")
        self.assertEqual((behind.token_name, behind.model_patterns), ("sync-app", "res.partner"))
        self.assertEqual(record.device_count, 3)
        self.assertEqual(record.device_ids, in_sync | behind | silent)

        # Retention moved out events up to base + 3: a device whose cursor is below must resync.
        self.env.cr.execute("UPDATE webhook_pull_horizon SET removed_through = %s", [base + 3])
        self.env.invalidate_all()
        self.assertTrue(behind.resync_required)
        self.assertFalse(in_sync.resync_required)
        self.assertEqual(self.Device.search([("resync_required", "=", True), ("token_name", "=", "sync-app")]), behind)

    def test_viewers_see_devices_but_not_their_token(self):
        _token, record = self.create_token()
        device = self.insert_device(record, "phone-1", 0).with_user(self.viewer)
        self.assertEqual((device.device_id, device.token_name), ("phone-1", "sales-app"))
        with self.assertRaises(AccessError):
            device.read(["token_id"])
        self.assertEqual(device.with_user(self.manager).token_id, record)
