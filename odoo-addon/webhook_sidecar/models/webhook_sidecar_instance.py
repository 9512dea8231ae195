from odoo import fields, models
from odoo.tools import SQL

# A sidecar that has not refreshed its heartbeat for this long is shown as not alive.
ALIVE_WITHIN_SECONDS = 60


class WebhookSidecarInstance(models.Model):
    """A running (or stopped) sidecar, from its heartbeat (table webhook_sidecar_instance).

    The table is keyed by the text instance_id; the id here is a stable hash of it.
    """

    _name = "webhook.sidecar.instance"
    _description = "Webhook Sidecar Instance"
    _auto = False
    _log_access = False
    _order = "alive desc, last_seen_at desc"
    _rec_name = "instance_id"

    _table_query = SQL(
        """
        SELECT (hashtext(i.instance_id)::bigint & 2147483647) + 1 AS id,
               i.instance_id, i.host, i.version,
               i.started_at AT TIME ZONE 'UTC' AS started_at,
               i.last_seen_at AT TIME ZONE 'UTC' AS last_seen_at,
               i.stopped_at AT TIME ZONE 'UTC' AS stopped_at,
               (i.stopped_at IS NULL
                AND i.last_seen_at > now() - make_interval(secs => %s)) AS alive,
               floor(extract(epoch FROM now() - i.last_seen_at))::integer AS seconds_since_seen
          FROM webhook_sidecar_instance i
        """,
        ALIVE_WITHIN_SECONDS,
    )

    instance_id = fields.Char(string="Instance", readonly=True)
    host = fields.Char(readonly=True)
    version = fields.Char(readonly=True)
    started_at = fields.Datetime(string="Started", readonly=True)
    last_seen_at = fields.Datetime(string="Last Heartbeat", readonly=True)
    stopped_at = fields.Datetime(string="Stopped", readonly=True)
    alive = fields.Boolean(
        readonly=True,
        help=f"Heartbeat within the last {ALIVE_WITHIN_SECONDS} seconds and not stopped.",
    )
    seconds_since_seen = fields.Integer(aggregator=False, string="Seconds Since Heartbeat", readonly=True)
