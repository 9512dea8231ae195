from odoo import fields, models


class WebhookDeadAlert(models.Model):
    """A subscriber whose dead deliveries raise an activity for the managers (opt-in).

    Odoo's own table, not the sidecar's: the sidecar's schema does not know about activities.
    Keyed by the subscriber's id without a foreign key, so the sidecar's table stays free of
    Odoo's constraints; rows of deleted subscribers are dropped by the cron.
    """

    _name = "webhook.dead.alert"
    _description = "Webhook Dead Delivery Alert"
    _rec_name = "subscriber_id"

    subscriber_id = fields.Integer(required=True, index=True, aggregator=False)
    checked_at = fields.Datetime(
        required=True,
        default=fields.Datetime.now,
        help="Deliveries that became dead after this time are new.",
    )
