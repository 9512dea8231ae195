import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..schema import call_function
from .webhook_sidecar_instance import sidecar_down_message


class WebhookSubscriberPreview(models.TransientModel):
    """The body a subscriber would get for a real record, chosen by the admin
    (the schema's webhook_preview_body: as if the record had just been created), and the
    "Send Test Event" dialog, which sends that very body to the subscriber as a test."""

    _name = "webhook.subscriber.preview"
    _description = "Webhook Subscriber Preview"

    subscriber_id = fields.Many2one("webhook.subscriber", required=True, readonly=True)
    payload = fields.Selection(related="subscriber_id.payload")
    record_ref = fields.Reference(selection="_selection_models", string="Record")
    body = fields.Text(compute="_compute_body", string="Body")
    send_note = fields.Text(compute="_compute_send_note", string="Send Test Event")

    @api.model
    def _selection_models(self):
        """Tracked models; only those the subscriber receives when the dialog is opened for one."""
        tracked = self.env["webhook.tracked.model"].sudo().search([("tracking_enabled", "=", True)])
        choices = [(record.model, record.model_id.name or record.model) for record in tracked if record.model in self.env]
        subscriber = self.env["webhook.subscriber"].browse(self.env.context.get("default_subscriber_id")).exists()
        wanted = subscriber.sudo().model_ids.mapped("model") if subscriber else []
        return [choice for choice in choices if choice[0] in wanted] if wanted else choices

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        # The newest record of the first model chosen that has one.
        for name, _label in self._selection_models():
            first = self.env[name].search([], limit=1, order="id desc")
            if first:
                values["record_ref"] = f"{name},{first.id}"
                break
        return values

    @api.depends("subscriber_id", "record_ref")
    def _compute_body(self):
        for wizard in self:
            record = wizard.record_ref
            if not wizard.subscriber_id or not record:
                wizard.body = _("Choose a record of a tracked model.")
                continue
            try:
                body = call_function(
                    self.env.cr, "webhook_preview_body", wizard.subscriber_id.id, record._name, record.id
                )
            except UserError as error:
                wizard.body = str(error.args[0])
                continue
            wizard.body = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)

    @api.depends("subscriber_id", "record_ref")
    def _compute_send_note(self):
        down = sidecar_down_message(self.env)
        for wizard in self:
            subscriber = wizard.subscriber_id
            if not subscriber:
                wizard.send_note = False
                continue
            if wizard.record_ref:
                note = _(
                    "Send Test Event queues this body to %s only, with \"test\": true added to its "
                    "data, so the receiver can tell it from real news. It is shaped like the "
                    "record's creation: in changes, \"old\" is null and \"new\" the values "
                    "captured now; a record body is read when it is sent. The record's real "
                    "deliveries are not touched.",
                    subscriber.name,
                )
            else:
                note = _(
                    "No record chosen: Send Test Event queues the fixed test event to %s only "
                    "(model webhook.test, record 0, no field values), with \"test\": true in its data.",
                    subscriber.name,
                )
            reason = subscriber._wait_reason("unknown", down)
            if reason:
                note += "\n" + _("It will wait: %s", reason)
            wizard.send_note = note

    def action_send_test_event(self):
        """Queue the test delivery this dialog describes."""
        self.ensure_one()
        record = self.record_ref
        if record:
            return self.subscriber_id.action_queue_test_event(record._name, record.id)
        return self.subscriber_id.action_queue_test_event()
