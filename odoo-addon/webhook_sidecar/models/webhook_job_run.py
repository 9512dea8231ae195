import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..schema import call_function
from .webhook_sidecar_instance import sidecar_down_message

MANAGER = "webhook_sidecar.group_webhook_manager"


def nonzero_leaves(value, path=()):
    """[(path, count)] of the non-zero numbers in a nested JSON object, in key order."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in nonzero_leaves(value[key], (*path, key))]
    if isinstance(value, int | float) and not isinstance(value, bool) and value:
        return [(path, value)]
    return []


class WebhookJobRun(models.Model):
    """One run of a sidecar's scheduled job: cleanup, retention purge, lease recovery
    (table webhook_job_run)."""

    _name = "webhook.job.run"
    _description = "Webhook Sidecar Job Run"
    _auto = False
    _log_access = False
    _order = "started_at desc, id desc"
    _rec_name = "job"

    # result is a JSON object of counts, possibly nested, e.g. {"orphans": {"res.partner":
    # {"deliveries": 1, "events": 3}}, "purged": {"sent_deliveries": 412}}: what was removed.
    _table_query = """
        SELECT r.id, r.job, r.instance_id,
               r.started_at AT TIME ZONE 'UTC' AS started_at,
               r.finished_at AT TIME ZONE 'UTC' AS finished_at,
               (extract(epoch FROM r.finished_at - r.started_at) * 1000)::integer AS duration_ms,
               (SELECT coalesce(sum(n::text::numeric), 0)::integer
                  FROM jsonb_path_query(r.result, 'strict $.** ? (@.type() == "number")') n)
                   AS rows_affected,
               jsonb_pretty(r.result) AS result,
               r.error
          FROM webhook_job_run r
    """

    job = fields.Char(readonly=True)
    instance_id = fields.Char(string="Sidecar", readonly=True)
    started_at = fields.Datetime(string="Started", readonly=True)
    finished_at = fields.Datetime(string="Finished", readonly=True)
    duration_ms = fields.Integer(aggregator="avg", string="Duration (ms)", readonly=True)
    result_summary = fields.Char(string="Result", compute="_compute_result_summary")
    rows_affected = fields.Integer(string="Rows Removed/Changed", readonly=True)
    result = fields.Text(string="Result (JSON)", readonly=True)
    error = fields.Text(readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("error", "Error")],
        compute="_compute_state",
    )

    @api.depends("finished_at", "error")
    def _compute_state(self):
        for run in self:
            run.state = "error" if run.error else "done" if run.finished_at else "running"

    @api.depends("result")
    def _compute_result_summary(self):
        for run in self:
            try:
                leaves = nonzero_leaves(json.loads(run.result or "{}"))
            except ValueError:
                leaves = []
            if leaves:
                run.result_summary = ", ".join(f"{' '.join(path)}: {count}" for path, count in leaves)
            else:
                run.result_summary = _("nothing removed") if run.finished_at and not run.error else False

    def action_run_cleanup_now(self):
        """Like a scheduled action's Run Manually: ask the running sidecars for a cleanup now.
        A list button: called on the selected runs, if any, which do not matter."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(_("Only webhook managers may run jobs."))
        call_function(self.env.cr, "webhook_request_job", "cleanup")
        down = sidecar_down_message(self.env)
        if down:
            message = _("Cleanup is requested, but no sidecar runs it now: %s", down)
        else:
            message = _("Cleanup is requested: a running sidecar does it within seconds; its run shows in this list.")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Run Cleanup Now"),
                "message": message,
                "type": "warning" if down else "success",
                "sticky": bool(down),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
