from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..schema import call_function

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


def copy_hold(env):
    """Whether deliveries are held because this database is a copy of the one the sidecar was set
    up on (sql/R__webhook_installation.sql): 'held' (a sidecar noticed it and paused the
    subscribers), 'copy' (no sidecar has started on it yet; the first one will hold it), or False."""
    env.cr.execute("SELECT state FROM webhook_installation_status()")
    state = env.cr.fetchone()[0]
    return state if state in ("held", "copy") else False


def held_as_copy(env, subscriber_id):
    """Whether the hold of a copy paused this subscriber (it is resumed when a manager confirms)."""
    env.cr.execute(
        "SELECT %s = ANY(held_subscribers) FROM webhook_installation WHERE copy_detected_at IS NOT NULL",
        [subscriber_id],
    )
    row = env.cr.fetchone()
    return bool(row and row[0])


def copy_hold_message(env):
    """A plain sentence while this database is held (or about to be) as a copy, else False."""
    state = copy_hold(env)
    if state == "held":
        env.cr.execute("SELECT copy_detected_at AT TIME ZONE 'UTC' FROM webhook_installation")
        noticed = env.cr.fetchone()[0]
        return env._(
            "Deliveries are held: this database is a copy of another one (noticed %s UTC), so "
            "nothing is sent from it until a webhook manager confirms that it may deliver. "
            "Changes still wait as deliveries; nothing is lost.",
            noticed.strftime("%Y-%m-%d %H:%M"),
        )
    if state == "copy":
        return env._(
            "This database is a copy of another one: the first sidecar to start on it will hold "
            "its deliveries until a webhook manager confirms that it may deliver."
        )
    return False


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

    @api.model
    def get_banners(self):
        """What the banners on every Webhooks screen say: no sidecar alive, and deliveries held
        because this database is a copy (with the confirm button for those who may press it)."""
        copy = copy_hold_message(self.env)
        return {
            "down": sidecar_down_message(self.env),
            "copy": copy,
            "can_confirm_copy": bool(copy) and self.env["webhook.subscriber"].has_access("write"),
        }

    @api.model
    def action_confirm_copy(self):
        """A webhook manager's word that this copy of the database may deliver (after the
        banner's confirmation dialog): it is recorded as the installation, and the subscribers
        the hold paused are resumed, so deliveries go to the receivers configured, signed with
        their secrets. Returns the sentence to show."""
        if not self.env["webhook.subscriber"].has_access("write"):
            raise AccessError(_("Only webhook managers may confirm that this database may deliver."))
        state = copy_hold(self.env)
        if not state:
            return _("This database is not held as a copy: nothing to confirm.")
        self.env.flush_all()
        # A copy no sidecar has held yet is confirmed in advance by the schema itself.
        resumed = call_function(self.env.cr, "webhook_confirm_copy")
        self.env.invalidate_all()
        if state == "copy":
            return _("Confirmed in advance: this database may deliver; no sidecar will hold its deliveries.")
        return _(
            "Confirmed: this database may deliver. %s subscriber(s) paused by the hold were resumed.",
            resumed or 0,
        )
