from odoo import api, fields, models


class WebhookJobRun(models.Model):
    """One run of a sidecar's scheduled job: cleanup, retention purge, lease recovery
    (table webhook_job_run)."""

    _name = "webhook.job.run"
    _description = "Webhook Sidecar Job Run"
    _auto = False
    _log_access = False
    _order = "started_at desc, id desc"
    _rec_name = "job"

    # result is a JSON object such as {"res.partner": 12}: what was removed or changed, by what.
    _table_query = """
        SELECT r.id, r.job, r.instance_id,
               r.started_at AT TIME ZONE 'UTC' AS started_at,
               r.finished_at AT TIME ZONE 'UTC' AS finished_at,
               (extract(epoch FROM r.finished_at - r.started_at) * 1000)::integer AS duration_ms,
               (SELECT string_agg(k.key || ': ' || k.value, ', ' ORDER BY k.key)
                  FROM jsonb_each_text(r.result) k) AS result_summary,
               (SELECT coalesce(sum(k.value::numeric), 0)::integer
                  FROM jsonb_each_text(r.result) k
                 WHERE k.value ~ '^[0-9]{1,9}$') AS rows_affected,
               jsonb_pretty(r.result) AS result,
               r.error
          FROM webhook_job_run r
    """

    job = fields.Char(readonly=True)
    instance_id = fields.Char(string="Sidecar", readonly=True)
    started_at = fields.Datetime(string="Started", readonly=True)
    finished_at = fields.Datetime(string="Finished", readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    result_summary = fields.Char(string="Result", readonly=True)
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
