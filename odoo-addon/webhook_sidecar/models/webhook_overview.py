from datetime import timedelta

import pytz
from markupsafe import Markup, escape

from odoo import _, fields, models

from .webhook_delivery import STATUS_SELECTION

CHART_HOURS = 24
RECENT_JOB_RUNS = 10


def format_age(seconds):
    """4000 -> '1 h 6 min'; a coarse, readable age."""
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


class WebhookOverview(models.Model):
    """The dashboard: one virtual record (id 1) whose fields are computed when shown."""

    _name = "webhook.overview"
    _description = "Webhook Overview"
    _auto = False
    _log_access = False
    _table_query = "SELECT 1 AS id"

    name = fields.Char(compute="_compute_overview")
    pending_count = fields.Integer(string="Pending", compute="_compute_overview")
    processing_count = fields.Integer(string="Processing", compute="_compute_overview")
    sent_count = fields.Integer(string="Sent", compute="_compute_overview")
    failed_count = fields.Integer(string="Failed", compute="_compute_overview")
    dead_count = fields.Integer(string="Dead", compute="_compute_overview")
    # Dead deliveries an admin decided need no re-send: kept, not a problem (not in Dead).
    cancelled_count = fields.Integer(string="Cancelled", compute="_compute_overview")
    unrouted_count = fields.Integer(
        string="Events Not Yet Routed",
        compute="_compute_overview",
        help="Captured events the sidecar has not turned into deliveries yet.",
    )
    oldest_pending_at = fields.Datetime(string="Oldest Waiting Since", compute="_compute_overview")
    oldest_pending_age = fields.Char(
        string="Oldest Waiting Delivery",
        compute="_compute_overview",
        help="Age of the oldest pending or failed delivery, from the capture of its first event.",
    )
    alive_count = fields.Integer(string="Sidecars Alive", compute="_compute_overview")
    instance_ids = fields.Many2many(
        "webhook.sidecar.instance", string="Sidecar Instances", compute="_compute_overview"
    )
    job_run_ids = fields.Many2many(
        "webhook.job.run", string="Recent Job Runs", compute="_compute_overview"
    )
    hourly_chart = fields.Html(
        string="Deliveries per Hour", compute="_compute_overview", sanitize=False
    )

    def _compute_overview(self):
        cr = self.env.cr
        cr.execute("SELECT status, count(*) FROM webhook_delivery GROUP BY status")
        counts = dict(cr.fetchall())
        cr.execute(
            "SELECT min(first_captured_at) AT TIME ZONE 'UTC',"
            " extract(epoch FROM now() - min(first_captured_at))"
            " FROM webhook_delivery WHERE status IN ('pending', 'failed')"
        )
        oldest_at, oldest_seconds = cr.fetchone()
        cr.execute("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL")
        unrouted = cr.fetchone()[0]
        instances = self.env["webhook.sidecar.instance"].search([])
        job_runs = self.env["webhook.job.run"].search([], limit=RECENT_JOB_RUNS)
        chart = self._hourly_chart()
        for overview in self:
            overview.name = _("Webhooks")
            for status, _label in STATUS_SELECTION:
                overview[f"{status}_count"] = counts.get(status, 0)
            overview.unrouted_count = unrouted
            overview.oldest_pending_at = oldest_at
            overview.oldest_pending_age = format_age(oldest_seconds) if oldest_seconds is not None else _("none waiting")
            overview.alive_count = len(instances.filtered("alive"))
            overview.instance_ids = instances
            overview.job_run_ids = job_runs
            overview.hourly_chart = chart

    def _hourly_chart(self):
        """Deliveries created per hour over the last day, as stacked bars in plain HTML."""
        self.env.cr.execute(
            """
            SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AS hour,
                   count(*) FILTER (WHERE status = 'sent'),
                   count(*) FILTER (WHERE status IN ('failed', 'dead')),
                   count(*) FILTER (WHERE status IN ('pending', 'processing'))
              FROM webhook_delivery
             WHERE created_at >= date_trunc('hour', now()) - make_interval(hours => %s)
             GROUP BY 1
            """,
            [CHART_HOURS - 1],
        )
        by_hour = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        hours = [now - timedelta(hours=n) for n in range(CHART_HOURS - 1, -1, -1)]
        peak = max([sum(by_hour.get(hour, (0, 0, 0))) for hour in hours] + [1])
        bars = []
        for hour in hours:
            sent, failed, waiting = by_hour.get(hour, (0, 0, 0))
            label = pytz.utc.localize(hour).astimezone(tz).strftime("%H:00")
            segments = Markup("").join(
                Markup('<div style="height:{}px;background:{}"></div>').format(
                    round(100 * count / peak), color
                )
                for count, color in ((waiting, "#9ca3af"), (failed, "#dc2626"), (sent, "#16a34a"))
                if count
            )
            bars.append(
                Markup(
                    '<div title="{}: {} sent, {} failed or dead, {} waiting" '
                    'style="display:flex;flex-direction:column;justify-content:flex-end;'
                    'align-items:stretch;width:3.4%;height:110px">{}'
                    '<div style="font-size:9px;text-align:center;color:#6b7280">{}</div></div>'
                ).format(label, sent, failed, waiting, segments, escape(label[:2]))
            )
        legend = Markup(
            '<div style="font-size:11px;color:#6b7280;margin-top:4px">'
            '<span style="color:#16a34a">&#9632;</span> {} '
            '<span style="color:#dc2626">&#9632;</span> {} '
            '<span style="color:#9ca3af">&#9632;</span> {} &#8212; {}</div>'
        ).format(_("sent"), _("failed or dead"), _("waiting"), _("peak %s per hour", peak))
        return Markup(
            '<div style="display:flex;gap:2px;align-items:flex-end">{}</div>{}'
        ).format(Markup("").join(bars), legend)

    def action_refresh(self):
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_run_cleanup_now(self):
        return self.env["webhook.job.run"].action_run_cleanup_now()

    def action_open_deliveries(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("webhook_sidecar.webhook_delivery_action")
        status = self.env.context.get("delivery_status")
        if status:
            action["context"] = {f"search_default_status_{status}": 1}
        return action
