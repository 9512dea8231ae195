import base64
import json

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestSubscriber(WebhookCase):
    def row(self, subscriber, columns):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT " + ", ".join(columns) + " FROM webhook_subscriber WHERE id = %s",  # test constants
            [subscriber.id],
        )
        return self.env.cr.fetchone()

    def test_created_with_a_generated_secret_and_schema_defaults(self):
        subscriber = self.Subscriber.create({"name": "CRM", "url": "https://crm.example.com/hook"})
        secret, events, models, headers = self.row(subscriber, ["secret", "events", "models", "headers"])
        self.assertTrue(secret.startswith("whsec_"))
        self.assertEqual(len(base64.b64decode(secret.removeprefix("whsec_"))), 32)
        self.assertEqual(subscriber.secret, secret)
        self.assertEqual(events, ["create", "write", "unlink"])
        self.assertIsNone(models, "no model chosen means every model")
        self.assertEqual(headers, {})
        self.assertTrue(subscriber.on_create and subscriber.on_write and subscriber.on_unlink)
        self.assertFalse(subscriber.model_ids)

    def test_two_subscribers_get_different_secrets(self):
        other = self.Subscriber.create({"name": "Other", "url": "https://other.example.com"})
        self.assertNotEqual(other.secret, self.subscriber.secret)

    def test_arrays_and_headers_are_written_as_postgresql_types(self):
        partner_model = self.env["ir.model"]._get("res.partner")
        subscriber = self.Subscriber.create({
            "name": "Partners only",
            "url": "https://example.com/partners",
            "model_ids": [(6, 0, partner_model.ids)],
            "on_unlink": False,
            "changed_fields_filter": "name, email",
            "headers_json": '{"X-Tenant": "acme"}',
            "rate_limit_per_second": 5,
        })
        models, events, filter_, headers, rate = self.row(
            subscriber, ["models", "events", "changed_fields_filter", "headers", "rate_limit_per_second"]
        )
        self.assertEqual(models, ["res.partner"])
        self.assertEqual(events, ["create", "write"])
        self.assertEqual(filter_, ["name", "email"])
        self.assertEqual(headers, {"X-Tenant": "acme"})
        self.assertEqual(float(rate), 5.0)
        # Read back through the ORM.
        subscriber.invalidate_recordset()
        self.assertEqual(subscriber.model_ids, partner_model)
        self.assertFalse(subscriber.on_unlink)
        self.assertEqual(subscriber.changed_fields_filter, "name, email")
        self.assertEqual(json.loads(subscriber.headers_json), {"X-Tenant": "acme"})
        # Emptying goes back to NULL (all models, any field, unlimited).
        subscriber.write({"model_ids": [(5,)], "changed_fields_filter": "", "rate_limit_per_second": 0})
        self.assertEqual(self.row(subscriber, ["models", "changed_fields_filter", "rate_limit_per_second"]),
                         (None, None, None))

    def test_model_names_unknown_to_odoo_are_kept(self):
        self.env.cr.execute(
            "UPDATE webhook_subscriber SET models = ARRAY['res.partner', 'legacy.thing'] WHERE id = %s",
            [self.subscriber.id],
        )
        self.subscriber.invalidate_recordset()
        self.assertEqual(self.subscriber.models_other, "legacy.thing")
        self.subscriber.write({"model_ids": [(6, 0, self.env["ir.model"]._get("res.users").ids)]})
        self.assertEqual(self.row(self.subscriber, ["models"])[0], ["legacy.thing", "res.users"])

    def test_bad_input_gets_a_clear_message(self):
        with self.assertRaises(ValidationError):
            self.subscriber.headers_json = '["not", "an object"]'
        with self.assertRaises(ValidationError):
            self.subscriber.write({"on_create": False, "on_write": False, "on_unlink": False})
        with self.assertRaises(ValidationError):
            self.Subscriber.create({"name": "Bad", "url": "ftp://example.com"})
        with self.assertRaises(ValidationError):
            self.Subscriber.create({"name": "Test receiver", "url": "https://example.com"})

    def test_rotate_keeps_the_old_secret_valid_for_a_while(self):
        old = self.subscriber.secret
        self.subscriber.action_rotate_secret()
        self.assertNotEqual(self.subscriber.secret, old)
        self.assertTrue(self.subscriber.secret.startswith("whsec_"))
        self.assertEqual(self.subscriber.previous_secret, old)
        hours = self.sql_value(
            "SELECT extract(epoch FROM previous_secret_expires_at - now()) / 3600"
            " FROM webhook_subscriber WHERE id = %s",
            [self.subscriber.id],
        )
        self.assertAlmostEqual(float(hours), 24, delta=0.1)
        self.assertTrue(self.subscriber.previous_secret_expires_at)

    def test_generate_replaces_the_secret_and_drops_the_old_ones(self):
        old = self.subscriber.secret
        self.subscriber.action_rotate_secret()
        self.subscriber.action_generate_secret()
        self.assertNotIn(self.subscriber.secret, (old, False))
        self.assertFalse(self.subscriber.previous_secret)
        self.assertEqual(
            self.row(self.subscriber, ["previous_secret", "previous_secret_expires_at"]), (None, None)
        )

    def test_send_test_event_queues_a_delivery(self):
        action = self.subscriber.action_queue_test_event()
        delivery = self.Delivery.browse(action["params"]["next"]["res_id"])
        self.assertEqual(delivery.subscriber_id, self.subscriber)
        self.assertEqual(delivery.model, "webhook.test")
        self.assertEqual(delivery.status, "pending")
        self.assertEqual(self.subscriber.pending_count, 1)

    def test_status_counts_for_smart_buttons(self):
        self.insert_delivery("sent", record_id=1)
        self.insert_delivery("sent", record_id=2)
        self.insert_delivery("failed", record_id=3)
        self.insert_delivery("dead", record_id=4)
        self.subscriber.invalidate_recordset()
        self.assertEqual(
            (self.subscriber.sent_count, self.subscriber.failed_count, self.subscriber.dead_count),
            (2, 1, 1),
        )
        action = self.subscriber.with_context(delivery_status="dead").action_open_deliveries()
        self.assertEqual(self.Delivery.search(action["domain"] + [("status", "=", "dead")]).record_id, 4)

    def test_form_creates_a_subscriber(self):
        with Form(self.Subscriber) as form:
            form.name = "From the form"
            form.url = "https://example.com/form"
            form.on_unlink = False
        subscriber = form.save()
        self.assertEqual(self.row(subscriber, ["events"])[0], ["create", "write"])
        self.assertTrue(subscriber.secret.startswith("whsec_"))


@tagged("post_install", "-at_install")
class TestSubscriberRefusals(WebhookCase):
    """A subscription that can never deliver is refused, or warned about, in plain words."""

    def setUp(self):
        super().setUp()
        self.partner_model = self.env["ir.model"]._get("res.partner")

    def subscribe(self, **vals):
        return self.Subscriber.create({"name": "Partners", "url": "https://example.com/p", **vals})

    def test_a_filter_naming_no_field_of_the_models_is_refused(self):
        with self.assertRefused(ValidationError, r"names emial, which is no stored field of Contact \(res\.partner\)"):
            self.subscribe(model_ids=[(6, 0, self.partner_model.ids)], changed_fields_filter="name, emial")
        subscriber = self.subscribe(
            name="Partner names", model_ids=[(6, 0, self.partner_model.ids)], changed_fields_filter="name, email"
        )
        with self.assertRefused(ValidationError, "names category_id, which is no stored field"):
            subscriber.write({"changed_fields_filter": "category_id"})  # many2many: no column, never "changed"
        self.assertEqual(subscriber.changed_fields_filter, "name, email")
        # Choosing other models re-checks the filter too.
        with self.assertRefused(ValidationError, r"names email, which is no stored field of Country"):
            subscriber.write({"model_ids": [(6, 0, self.env["ir.model"]._get("res.country").ids)]})

    def test_a_filter_without_models_is_checked_against_the_tracked_ones(self):
        self.subscribe(changed_fields_filter="anything")  # nothing tracked yet: cannot tell
        self.env["webhook.tracked.model"].create({"model_id": self.partner_model.id})
        with self.assertRefused(ValidationError, r"names anything, which is no stored field of Contact"):
            self.subscribe(name="All models", changed_fields_filter="name, anything")

    def test_a_wizard_cannot_be_subscribed_to(self):
        wizard = self.env["ir.model"]._get("base.language.install")
        with self.assertRefused(ValidationError, r"\(base\.language\.install\) is a wizard"):
            self.subscribe(model_ids=[(6, 0, wizard.ids)])

    def test_untracked_models_are_shown_as_a_warning(self):
        subscriber = self.subscribe(model_ids=[(6, 0, self.partner_model.ids)])
        self.assertIn("Not tracked, so nothing is sent for them", subscriber.tracking_warning)
        self.assertIn("Contact (res.partner)", subscriber.tracking_warning)
        self.assertIn("No model is tracked yet", self.subscriber.tracking_warning)
        self.env["webhook.tracked.model"].create({"model_id": self.partner_model.id})
        self.env.invalidate_all()
        self.assertFalse(subscriber.tracking_warning)
        self.assertFalse(self.subscriber.tracking_warning)
        with Form(self.Subscriber) as form:
            form.name = "Countries"
            form.url = "https://example.com/c"
            form.model_ids.add(self.env["ir.model"]._get("res.country"))
            self.assertIn("Country (res.country)", form.tracking_warning)
