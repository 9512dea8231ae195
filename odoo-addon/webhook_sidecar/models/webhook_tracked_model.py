from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..model_checks import model_label, trackable_table, unknown_columns
from ..schema import call_function

DEFAULT_IGNORED_COLUMNS = "write_date, write_uid"


def split_names(text):
    """'a, b,,c ' -> ['a', 'b', 'c']."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


class WebhookTrackedModel(models.Model):
    """A model whose table carries the sidecar's capture triggers (table webhook_tracked_model).

    That table is keyed by the model name and has no integer id, so this model reads it through
    a query that borrows the id of the matching ``ir.model`` row. Every change goes through the
    schema's functions ``webhook_track()`` / ``webhook_untrack()``, which install and remove
    the triggers; the ORM never writes the table itself.

    Chatter: see ``_tracking_changes``. The id is ir.model's, so the history stays with the
    model when it is untracked and tracked again.
    """

    _name = "webhook.tracked.model"
    _inherit = ["mail.thread"]
    _description = "Webhook Tracked Model"
    _auto = False
    _log_access = False
    _order = "model"
    _rec_name = "model"

    # A tracked model unknown to Odoo (tracked from psql with an explicit table, or whose module
    # was uninstalled) gets a stable id above every ir.model id, so it can still be untracked.
    _table_query = """
        SELECT coalesce(m.id, 2000000000 + (hashtext(t.model) & 67108863)) AS id,
               m.id AS model_id,
               t.model,
               t.table_name,
               t.active AS tracking_enabled,
               array_to_string(t.ignored_columns, ', ') AS ignored_columns,
               t.tracked_at AT TIME ZONE 'UTC' AS tracked_at,
               webhook_capture_installed(t.model) AS capture_installed,
               array_to_string(t.captured_fields, ', ') AS captured_fields
          FROM webhook_tracked_model t
          LEFT JOIN ir_model m ON m.model = t.model
    """

    model_id = fields.Many2one(
        "ir.model",
        string="Odoo Model",
        ondelete="set null",
        domain=[("transient", "=", False)],
        help="The Odoo model whose changes are captured.",
    )
    model = fields.Char(string="Technical Name", readonly=True)
    table_name = fields.Char(
        string="Table",
        help="PostgreSQL table that carries the triggers. Empty: Odoo's naming "
        "(res.partner -> res_partner).",
    )
    tracking_enabled = fields.Boolean(
        string="Tracking Enabled",
        readonly=True,
        tracking=True,
        help="Whether changes are being captured. Disabling keeps the settings.",
    )
    ignored_columns = fields.Char(
        string="Ignored Fields",
        default=DEFAULT_IGNORED_COLUMNS,
        tracking=True,
        help="Comma-separated columns whose change alone is no event "
        "(Odoo touches write_date and write_uid on every write).",
    )
    # Tracked as the list of names: what the capture records, in the chatter.
    captured_fields = fields.Char(string="Captured Field Names", readonly=True, tracking=True)
    captured_field_ids = fields.Many2many(
        "ir.model.fields",
        string="Captured Fields",
        compute="_compute_captured_field_ids",
        inverse="_inverse_captured_field_ids",
        readonly=False,
        help="Stored fields whose old and new values each event records, so that subscribers can "
        "receive them (payload Changes or Record) and filter on them (a domain). Passwords, keys, "
        "tokens and binary data are refused. None: events carry ids and changed field names only.",
    )
    tracked_at = fields.Datetime(string="Tracked Since", readonly=True)
    capture_installed = fields.Boolean(
        string="Trigger Installed",
        readonly=True,
        help="Whether the three capture triggers really exist on the table right now.",
    )

    @api.depends("model", "model_id")
    def _compute_display_name(self):
        for record in self:
            if record.model_id:
                record.display_name = f"{record.model_id.name} ({record.model})"
            else:
                record.display_name = record.model or _("New tracked model")

    @api.depends("captured_fields", "model")
    def _compute_captured_field_ids(self):
        Fields = self.env["ir.model.fields"].sudo()
        for record in self:
            names = split_names(record.captured_fields)
            record.captured_field_ids = (
                Fields.search([("model", "=", record.model), ("name", "in", names)]) if names else Fields
            )

    def _inverse_captured_field_ids(self):
        # create() and write() call webhook_set_captured_fields() themselves.
        return

    def _field_names_from_commands(self, commands):
        """Names of the ir.model.fields that x2many commands (as the web client sends) select."""
        return self.new({"captured_field_ids": commands}).captured_field_ids.sudo().mapped("name")

    def _set_captured_fields(self, model_name, names):
        """Through the schema (checks the fields, regenerates the capture, re-checks domains)."""
        tracked = self.sudo().search([("model", "=", model_name)], limit=1)
        if names and tracked and not tracked.tracking_enabled:
            raise UserError(_("Enable tracking of %s first: fields are captured while it is tracked.", model_label(self.env, model_name)))
        if tracked.tracking_enabled or names:
            call_function(self.env.cr, "webhook_set_captured_fields", model_name, sorted(set(names)))

    # ------------------------------------------------------------------ ORM on the SQL functions

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        names = []
        for vals in vals_list:
            model_name = self._model_name_from_vals(vals)
            table = trackable_table(self.env, model_name, vals.get("table_name") or None)
            ignored = split_names(vals.get("ignored_columns", DEFAULT_IGNORED_COLUMNS))
            self._check_ignored_columns(model_name, table, ignored)
            call_function(self.env.cr, "webhook_track", model_name, vals.get("table_name") or None, ignored)
            if vals.get("captured_field_ids"):
                self._set_captured_fields(model_name, self._field_names_from_commands(vals["captured_field_ids"]))
            names.append(model_name)
        self.env.invalidate_all()
        by_name = {record.model: record for record in self.search([("model", "in", names)])}
        records = self.browse([by_name[name].id for name in names])
        for record in records:
            record._message_log(body=_("Tracking started: creates, writes and deletes are captured once committed."))
        return records

    def write(self, vals):
        self.check_access("write")
        unknown = set(vals) - {"ignored_columns", "captured_field_ids"}
        if unknown:
            raise UserError(
                _("These settings of a tracked model cannot be changed here: %s.", ", ".join(sorted(unknown)))
            )
        with self._tracking_changes():
            self._write_settings(vals)
        return True

    def _write_settings(self, vals):
        for record in self:
            if "captured_field_ids" in vals:
                record._set_captured_fields(record.model, record._field_names_from_commands(vals["captured_field_ids"]))
            if "ignored_columns" not in vals:
                continue
            ignored = split_names(vals.get("ignored_columns", record.ignored_columns))
            self._check_ignored_columns(record.model, record.table_name, ignored)
            if record.tracking_enabled:
                # Re-tracking re-generates the capture function with the new settings.
                call_function(
                    self.env.cr, "webhook_track", record.model, record.table_name, ignored
                )
            else:
                self.env.cr.execute(
                    "UPDATE webhook_tracked_model SET ignored_columns = %s WHERE model = %s",
                    [ignored, record.model],
                )
        self.env.invalidate_all()

    @contextmanager
    def _tracking_changes(self):
        """Posts in the chatter what the block changed in the tracked fields (tracking=True).

        mail.thread tracks in the ORM's write, which this model does not use, and makes the
        message in a pre-commit hook; here that hook would run too early: the savepoint of
        every schema call (call_function) flushes, which runs the pre-commit hooks. So the
        values are compared right after the change, read again through the query. A change
        the schema refuses raises before anything is posted."""
        fnames = self._track_get_fields()
        initial = {record.id: {fname: record[fname] for fname in fnames} for record in self if record.id}
        yield
        self.env.invalidate_all()
        if initial:
            self.browse(list(initial)).sudo()._message_track(fnames, initial)

    def unlink(self):
        """Stop capturing and forget the settings. Captured events stay and are delivered, and
        so does the chatter (mail.thread's unlink is not called): tracked again, the model shows
        its history."""
        self.check_access("unlink")
        for record in self:
            record._message_log(body=_("Tracking removed: its settings were forgotten."))
            if record.tracking_enabled or record.capture_installed:
                call_function(self.env.cr, "webhook_untrack", record.model)
            self.env.cr.execute("DELETE FROM webhook_tracked_model WHERE model = %s", [record.model])
        self.env.invalidate_all()
        return True

    def copy(self, default=None):
        raise UserError(_("A model is tracked once; duplicate the settings by tracking another model."))

    def _check_ignored_columns(self, model_name, table, ignored):
        """Ignored fields must be stored fields of the model: a misspelt one would silently
        ignore nothing."""
        unknown = unknown_columns(self.env, table, ignored)
        if unknown:
            raise ValidationError(
                _(
                    "%(model)s has no stored field %(names)s. Ignored fields are technical names "
                    "of its stored fields, e.g. write_date, write_uid.",
                    model=model_label(self.env, model_name),
                    names=", ".join(unknown),
                )
            )

    def _model_name_from_vals(self, vals):
        if vals.get("model_id"):
            return self.env["ir.model"].sudo().browse(vals["model_id"]).model
        if vals.get("model"):
            return vals["model"]
        raise UserError(_("Choose the Odoo model to track."))

    # ------------------------------------------------------------------ buttons

    def action_enable_tracking(self):
        """Install (or re-install) the capture triggers with the current settings."""
        self.check_access("write")
        with self._tracking_changes():
            for record in self:
                call_function(
                    self.env.cr,
                    "webhook_track",
                    record.model,
                    record.table_name,
                    split_names(record.ignored_columns),
                )
        return True

    def action_disable_tracking(self):
        """Remove the capture triggers; settings and captured events are kept."""
        self.check_access("write")
        with self._tracking_changes():
            for record in self.filtered("tracking_enabled"):
                call_function(self.env.cr, "webhook_untrack", record.model)
        return True

    def action_open_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("webhook_sidecar.webhook_event_action")
        action["domain"] = [("model", "=", self.model)]
        action["context"] = {}
        return action

