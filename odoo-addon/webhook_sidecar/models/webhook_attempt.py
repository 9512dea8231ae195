from odoo import fields, models


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery (table webhook_attempt), written by the sidecar."""

    _name = "webhook.attempt"
    _description = "Webhook Delivery Attempt"
    _auto = False
    _log_access = False
    # Newest first; "attempt" restarts at 1 when a delivery is replayed, "number" does not.
    _order = "delivery_id desc, started_at desc, id desc"
    _rec_name = "message_id"

    _table_query = """
        SELECT a.id, a.delivery_id, a.attempt,
               row_number() OVER (PARTITION BY a.delivery_id ORDER BY a.started_at, a.id)::integer AS number,
               a.started_at AT TIME ZONE 'UTC' AS started_at,
               a.duration_ms, a.message_id, a.status_code, a.error_type, a.error_message,
               a.response_excerpt, a.sidecar_id
          FROM webhook_attempt a
    """

    delivery_id = fields.Many2one("webhook.delivery", string="Delivery", readonly=True)
    attempt = fields.Integer(
        aggregator=False, string="Attempt Since Replay", readonly=True, help="Starts at 1 again after a replay."
    )
    number = fields.Integer(
        aggregator=False, string="#", readonly=True, help="Attempts of this delivery counted across replays."
    )
    started_at = fields.Datetime(string="Time", readonly=True)
    duration_ms = fields.Integer(aggregator="avg", string="Duration (ms)", readonly=True)
    message_id = fields.Char(string="webhook-id", readonly=True)
    status_code = fields.Integer(aggregator=False, string="HTTP Code", readonly=True)
    error_type = fields.Char(readonly=True, help="Empty on success; else timeout, connection, http_error, ...")
    error_message = fields.Text(readonly=True)
    response_excerpt = fields.Text(readonly=True, help="The first bytes of the response body.")
    sidecar_id = fields.Char(string="Sidecar", readonly=True)
