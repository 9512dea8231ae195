import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..schema import call_function


class WebhookSubscriberPreview(models.TransientModel):
    """The body a subscriber would get for a real record, chosen by the admin
    (the schema's webhook_preview_body: as if the record had just been created)."""

    _name = "webhook.subscriber.preview"
    _description = "Webhook Subscriber Preview"

    subscriber_id = fields.Many2one("webhook.subscriber", required=True, readonly=True)
    payload = fields.Selection(related="subscriber_id.payload")
    record_ref = fields.Reference(selection="_selection_models", string="Record")
    body = fields.Text(compute="_compute_body", string="Body")

    @api.model
    def _selection_models(self):
        tracked = self.env["webhook.tracked.model"].sudo().search([("tracking_enabled", "=", True)])
        return [(record.model, record.model_id.name or record.model) for record in tracked if record.model in self.env]

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        subscriber = self.env["webhook.subscriber"].browse(values.get("subscriber_id"))
        names = subscriber.model_ids.mapped("model") if subscriber else []
        choices = dict(self._selection_models())
        for name in names:
            if name in choices:
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
