from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .webhook_delivery import EVENT_SELECTION


class WebhookEvent(models.Model):
    """A captured change of a record (table webhook_event), written by the capture triggers."""

    _name = "webhook.event"
    _description = "Webhook Captured Event"
    _auto = False
    _log_access = False
    _order = "id desc"

    _table_query = """
        SELECT e.id, e.model, e.record_id, e.event,
               array_to_string(e.changed_fields, ', ') AS changed_fields,
               e.txid,
               e.captured_at AT TIME ZONE 'UTC' AS captured_at,
               e.routed_at AT TIME ZONE 'UTC' AS routed_at,
               e.delivery_count
          FROM webhook_event e
    """

    model = fields.Char(readonly=True)
    record_id = fields.Integer(aggregator=False, string="Record ID", readonly=True)
    event = fields.Selection(EVENT_SELECTION, readonly=True)
    changed_fields = fields.Char(readonly=True)
    txid = fields.Integer(aggregator=False, string="Transaction", readonly=True)
    captured_at = fields.Datetime(string="Captured", readonly=True)
    routed_at = fields.Datetime(string="Routed", readonly=True)
    delivery_count = fields.Integer(
        string="Deliveries", readonly=True, help="Deliveries made of it; 0: no subscriber wanted it."
    )
    record_exists = fields.Boolean(compute="_compute_record", string="Record Exists")
    record_name = fields.Char(compute="_compute_record", string="Record")

    @api.depends("model", "record_id", "event")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.model},{event.record_id} {event.event}"

    def _existing_records(self):
        """{(model, id): record} of the records these events are about that still exist."""
        found = {}
        for model in set(self.mapped("model")):
            if model not in self.env:
                continue
            Model = self.env[model]
            if Model._abstract or Model._transient:
                continue
            ids = {event.record_id for event in self if event.model == model}
            # Only what the user may read: no link, no name otherwise.
            records = Model.browse(ids).exists()._filtered_access("read")
            found.update({(model, record.id): record for record in records})
        return found

    def _compute_record(self):
        found = self._existing_records()
        for event in self:
            record = found.get((event.model, event.record_id))
            event.record_exists = bool(record)
            event.record_name = record.display_name if record else False

    def action_open_record(self):
        self.ensure_one()
        record = self._existing_records().get((self.model, self.record_id))
        if not record:
            raise UserError(_("%s,%s no longer exists (or you may not read it).", self.model, self.record_id))
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
            "target": "current",
        }
