from odoo import _, api, fields, models
from odoo.tools import SQL

# The sidecar's WEBHOOK_HEARTBEAT_INTERVAL default; set the system parameter below when a
# sidecar runs with another one.
DEFAULT_HEARTBEAT_SECONDS = 10
HEARTBEAT_PARAMETER = "webhook_sidecar.heartbeat_interval_seconds"
# A sidecar is alive while its last heartbeat is younger than this many intervals.
MISSED_HEARTBEATS = 3


def alive_within_seconds(env):
    """Seconds after its last heartbeat that a sidecar still counts as alive (3 intervals)."""
    value = env["ir.config_parameter"].sudo().get_param(HEARTBEAT_PARAMETER, DEFAULT_HEARTBEAT_SECONDS)
    try:
        interval = max(1.0, float(value))
    except (TypeError, ValueError):
        interval = DEFAULT_HEARTBEAT_SECONDS
    return interval * MISSED_HEARTBEATS


def sidecar_down_message(env):
    """A plain sentence when no sidecar is alive (none reported, all stopped, or all silent), else False."""
    env.cr.execute(
        """
        SELECT count(*) FILTER (WHERE stopped_at IS NULL AND last_seen_at > now() - make_interval(secs => %s)),
               count(*),
               count(*) FILTER (WHERE stopped_at IS NOT NULL)
          FROM webhook_sidecar_instance
        """,
        [alive_within_seconds(env)],
    )
    alive, known, stopped = env.cr.fetchone()
    if alive:
        return False
    if not known:
        return env._("No sidecar has reported yet: nothing is sent until one runs. Deliveries wait meanwhile.")
    if stopped == known:
        return env._("No sidecar is running (all were stopped): nothing is sent until one starts. Deliveries wait meanwhile.")
    return env._(
        "No sidecar is alive (no heartbeat for %s seconds): nothing is sent until one runs again. "
        "Deliveries wait meanwhile.",
        int(alive_within_seconds(env)),
    )


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

    @property
    def _table_query(self):
        return SQL(
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
            alive_within_seconds(self.env),
        )

    instance_id = fields.Char(string="Instance", readonly=True)
    host = fields.Char(readonly=True)
    version = fields.Char(readonly=True)
    started_at = fields.Datetime(string="Started", readonly=True)
    last_seen_at = fields.Datetime(string="Last Heartbeat", readonly=True)
    stopped_at = fields.Datetime(string="Stopped", readonly=True)
    alive = fields.Boolean(
        readonly=True,
        help="Heartbeat within the last three heartbeat intervals (30 s by default) and not stopped.",
    )
    seconds_since_seen = fields.Integer(aggregator=False, string="Seconds Since Heartbeat", readonly=True)
    state = fields.Char(string="State", compute="_compute_state")

    def _compute_state(self):
        for instance in self:
            if instance.stopped_at:
                instance.state = _("Stopped at %s", fields.Datetime.context_timestamp(instance, instance.stopped_at).strftime("%Y-%m-%d %H:%M:%S"))
            elif instance.alive:
                instance.state = _("Running")
            else:
                instance.state = _("Silent: no heartbeat for %s s", instance.seconds_since_seen)

    @api.model
    def get_down_banner(self):
        """For the banner on every Webhooks screen: the sentence, or False while a sidecar runs."""
        return sidecar_down_message(self.env)
