import base64
import json
import re
import secrets

from psycopg2 import sql

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..model_checks import model_label, table_columns, trackable_table
from ..schema import call_function, check_schema
from .webhook_tracked_model import split_names

MANAGER = "webhook_sidecar.group_webhook_manager"
EVENTS = ("create", "write", "unlink")
STATUSES = ("pending", "processing", "sent", "failed", "dead")
# How long a rotated-out secret keeps signing, unless the system parameter says otherwise.
DEFAULT_ROTATION_GRACE_HOURS = 24
ROTATION_GRACE_PARAMETER = "webhook_sidecar.secret_rotation_grace_hours"
URL_PATTERN = re.compile(r"^https?://[^/?#\s]+", re.IGNORECASE)


def generate_secret():
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class WebhookSubscriber(models.Model):
    """A receiver of webhooks (table webhook_subscriber, owned by the sidecar's schema).

    Plain columns are ordinary stored fields. The text[] and jsonb columns, the nullable
    numeric and the timestamptz columns have no faithful Odoo field type, so they are computed
    fields read and written with parameterised SQL.
    """

    _name = "webhook.subscriber"
    _description = "Webhook Subscriber"
    _auto = False
    _table = "webhook_subscriber"
    _log_access = False
    _order = "name"

    name = fields.Char(required=True)
    url = fields.Char(
        string="URL",
        required=True,
        groups=MANAGER,
        help="Where the signed POST goes (http:// or https://). URLs often carry tokens, "
        "so only webhook managers see them.",
    )
    secret = fields.Char(
        required=True,
        copy=False,
        groups=MANAGER,
        default=lambda self: generate_secret(),
        help="Standard Webhooks signing secret (whsec_...). The receiver verifies the "
        "webhook-signature header with it.",
    )
    previous_secret = fields.Char(
        readonly=True,
        copy=False,
        groups=MANAGER,
        help="The secret before the last rotation; it keeps signing too until it expires.",
    )
    previous_secret_expires_at = fields.Datetime(
        string="Previous Secret Expires",
        compute="_compute_manager_columns",
        groups=MANAGER,
    )
    active = fields.Boolean(default=True)
    model_ids = fields.Many2many(
        "ir.model",
        string="Models",
        domain=[("transient", "=", False)],
        compute="_compute_from_sql",
        inverse="_inverse_models",
        help="Models whose changes this subscriber receives. Empty: every tracked model.",
    )
    tracking_warning = fields.Char(
        compute="_compute_tracking_warning",
        help="Chosen models that are not tracked: nothing is sent for them until they are.",
    )
    models_other = fields.Char(
        string="Other Model Names",
        compute="_compute_from_sql",
        help="Model names in the subscription that this Odoo does not know (set from the "
        "sidecar's CLI); they are kept.",
    )
    on_create = fields.Boolean(
        string="Create", default=True, compute="_compute_from_sql", inverse="_inverse_on_create"
    )
    on_write = fields.Boolean(
        string="Write", default=True, compute="_compute_from_sql", inverse="_inverse_on_write"
    )
    on_unlink = fields.Boolean(
        string="Delete", default=True, compute="_compute_from_sql", inverse="_inverse_on_unlink"
    )
    changed_fields_filter = fields.Char(
        string="Only When These Fields Change",
        compute="_compute_from_sql",
        inverse="_inverse_changed_fields_filter",
        help="Comma-separated field names: a write is delivered only if one of them changed. "
        "Empty: any change.",
    )
    timeout_ms = fields.Integer(string="Timeout (ms)", default=10000)
    max_retries = fields.Integer(string="Max Retries", default=5)
    backoff_base_ms = fields.Integer(
        string="First Retry After (ms)",
        default=60000,
        help="Retry n waits this long times the backoff factor to the power n-1, with jitter.",
    )
    backoff_factor = fields.Float(default=2.0, digits=(16, 2))
    rate_limit_per_second = fields.Float(
        string="Rate Limit (per second)",
        compute="_compute_from_sql",
        inverse="_inverse_rate_limit",
        help="At most this many requests per second. 0: unlimited.",
    )
    max_concurrency = fields.Integer(string="Max Concurrent Requests", default=4)
    headers_json = fields.Text(
        string="Custom Headers",
        compute="_compute_manager_columns",
        inverse="_inverse_headers",
        groups=MANAGER,
        help='Extra HTTP headers as a JSON object of strings, e.g. {"X-Tenant": "acme"}.',
    )
    created_at = fields.Datetime(compute="_compute_from_sql")
    updated_at = fields.Datetime(compute="_compute_from_sql")

    delivery_ids = fields.One2many("webhook.delivery", "subscriber_id", string="Deliveries")
    pending_count = fields.Integer(compute="_compute_delivery_counts")
    processing_count = fields.Integer(compute="_compute_delivery_counts")
    sent_count = fields.Integer(compute="_compute_delivery_counts")
    failed_count = fields.Integer(compute="_compute_delivery_counts")
    dead_count = fields.Integer(compute="_compute_delivery_counts")

    def init(self):
        # Also on upgrade (-u): the tables must still be there.
        check_schema(self.env.cr)

    # ------------------------------------------------------------------ SQL-backed fields

    def _sql_rows(self, columns):
        """{id: row} of these SQL expressions (constants of this class) for the stored records."""
        ids = [record._origin.id for record in self if record._origin.id]
        if not ids:
            return {}
        query = sql.SQL("SELECT id, {} FROM webhook_subscriber WHERE id = ANY(%s)").format(
            sql.SQL(", ").join(sql.SQL(column) for column in columns)
        )
        self.env.cr.execute(query, [ids])
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _compute_from_sql(self):
        rows = self._sql_rows(
            (
                "models",
                "events",
                "changed_fields_filter",
                "rate_limit_per_second",
                "created_at AT TIME ZONE 'UTC'",
                "updated_at AT TIME ZONE 'UTC'",
            )
        )
        IrModel = self.env["ir.model"].sudo()
        for record in self:
            # A new record shows the schema's defaults.
            row = rows.get(record._origin.id) or (None, list(EVENTS), None, None, False, False)
            models_, events, fields_filter, rate, created, updated = row
            known = IrModel.search([("model", "in", models_)]) if models_ else IrModel
            record.model_ids = known
            record.models_other = ", ".join(sorted(set(models_ or []) - set(known.mapped("model"))))
            record.on_create = "create" in events
            record.on_write = "write" in events
            record.on_unlink = "unlink" in events
            record.changed_fields_filter = ", ".join(fields_filter or [])
            record.rate_limit_per_second = rate or 0.0
            record.created_at = created
            record.updated_at = updated

    @api.depends("model_ids")
    def _compute_tracking_warning(self):
        tracked = set(self.env["webhook.tracked.model"].sudo().search([("tracking_enabled", "=", True)]).mapped("model"))
        for record in self:
            chosen = record.model_ids.sudo().mapped("model")
            untracked = [name for name in chosen if name not in tracked]
            if untracked:
                record.tracking_warning = _(
                    "Not tracked, so nothing is sent for them until you track them (Webhooks > Tracked Models): %s.",
                    ", ".join(model_label(self.env, name) for name in untracked),
                )
            elif not chosen and not tracked:
                record.tracking_warning = _(
                    "No model is tracked yet: nothing is sent until you track one (Webhooks > Tracked Models)."
                )
            else:
                record.tracking_warning = False

    @api.constrains("model_ids", "changed_fields_filter")
    def _check_subscription(self):
        """Refuse what can never be delivered: models without stored records, and a
        "changed fields" filter naming no stored field of the subscribed models."""
        Tracked = self.env["webhook.tracked.model"].sudo()
        for record in self:
            tables = {}
            for model in record.model_ids.sudo():
                tables[model.model] = trackable_table(self.env, model.model)
            names = split_names(record.changed_fields_filter)
            if not names:
                continue
            if not tables:
                # Every tracked model: the filter must name a field of at least one of them.
                tables = {tracked.model: tracked.table_name for tracked in Tracked.search([])}
            if not tables:
                continue
            columns = set()
            for table in tables.values():
                columns |= table_columns(self.env.cr, table)
            unknown = [name for name in names if name not in columns]
            if unknown:
                raise ValidationError(
                    _(
                        "Only When These Fields Change names %(names)s, which is no stored field of %(models)s, "
                        "so such a change never comes. Use technical field names, e.g. name, email.",
                        names=", ".join(unknown),
                        models=", ".join(model_label(self.env, name) for name in sorted(tables)),
                    )
                )

    def _compute_manager_columns(self):
        rows = self._sql_rows(("jsonb_pretty(headers)", "previous_secret_expires_at AT TIME ZONE 'UTC'"))
        for record in self:
            headers, expires = rows.get(record._origin.id) or ("{}", False)
            record.headers_json = headers
            record.previous_secret_expires_at = expires

    def _set_columns(self, assignments):
        """UPDATE webhook_subscriber SET column = value, ... for these records."""
        query = sql.SQL("UPDATE webhook_subscriber SET {}, updated_at = now() WHERE id = ANY(%s)").format(
            sql.SQL(", ").join(
                sql.SQL("{} = %s").format(sql.Identifier(column)) for column in assignments
            )
        )
        self.env.cr.execute(query, [*assignments.values(), list(self.ids)])

    # Each inverse reads the column's current value from the table, not from the cache: Odoo
    # protects all fields of one compute method while one of them is written, so a sibling field
    # read here would look empty.

    def _inverse_models(self):
        IrModel = self.env["ir.model"].sudo()
        for record, (current,) in zip(self, record_rows(self, "models"), strict=True):
            # Names this Odoo does not know cannot be picked in the form: keep them.
            unknown = set(current or []) - set(IrModel.search([("model", "in", current or [])]).mapped("model"))
            names = set(record.model_ids.sudo().mapped("model")) | unknown
            record._set_columns({"models": sorted(names) or None})

    def _inverse_on_create(self):
        self._set_event("create", "on_create")

    def _inverse_on_write(self):
        self._set_event("write", "on_write")

    def _inverse_on_unlink(self):
        self._set_event("unlink", "on_unlink")

    def _set_event(self, event, fname):
        for record, (current,) in zip(self, record_rows(self, "events"), strict=True):
            wanted = set(current or []) - {event} | ({event} if record[fname] else set())
            events = [name for name in EVENTS if name in wanted]
            if not events:
                raise ValidationError(
                    _("Subscriber %s must receive at least one event type.", record.name)
                )
            record._set_columns({"events": events})

    def _inverse_changed_fields_filter(self):
        for record in self:
            record._set_columns({"changed_fields_filter": split_names(record.changed_fields_filter) or None})

    def _inverse_rate_limit(self):
        for record in self:
            rate = record.rate_limit_per_second
            if rate < 0:
                raise ValidationError(_("The rate limit cannot be negative (0 means unlimited)."))
            record._set_columns({"rate_limit_per_second": rate or None})

    def _inverse_headers(self):
        for record in self:
            headers = record._parse_headers(record.headers_json)
            self.env.cr.execute(
                "UPDATE webhook_subscriber SET headers = %s::jsonb, updated_at = now() WHERE id = %s",
                [json.dumps(headers), record.id],
            )

    def _parse_headers(self, text):
        """The Custom Headers field -> a dict of strings, or a ValidationError that says why not."""
        if not (text or "").strip():
            return {}
        try:
            headers = json.loads(text)
        except ValueError as error:
            raise ValidationError(_("Custom headers must be a JSON object: %s", error)) from error
        if not isinstance(headers, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in headers.items()
        ):
            raise ValidationError(
                _('Custom headers must be a JSON object of strings, e.g. {"X-Tenant": "acme"}.')
            )
        return headers

    def _compute_delivery_counts(self):
        counts = {}
        if self._origin.ids:
            self.env.cr.execute(
                "SELECT subscriber_id, status, count(*) FROM webhook_delivery"
                " WHERE subscriber_id = ANY(%s) GROUP BY subscriber_id, status",
                [list(self._origin.ids)],
            )
            for subscriber_id, status, count in self.env.cr.fetchall():
                counts[(subscriber_id, status)] = count
        for record in self:
            for status in STATUSES:
                record[f"{status}_count"] = counts.get((record._origin.id, status), 0)

    # ------------------------------------------------------------------ checks with kind words
    # The schema's CHECK and UNIQUE constraints stay the authority; these run before the INSERT
    # or UPDATE so the user reads a sentence instead of a constraint name.

    def _check_vals(self, vals):
        if "url" in vals and not URL_PATTERN.match(vals["url"] or ""):
            raise ValidationError(_("The URL must start with http:// or https:// and a host name."))
        if "secret" in vals and not (vals["secret"] or "").startswith("whsec_"):
            raise ValidationError(_("A secret must look like whsec_<base64>: use the Generate button."))
        limits = {
            "timeout_ms": (100, 300000, _("The timeout must be between 100 ms and 300000 ms.")),
            "max_retries": (0, 100, _("Max retries must be between 0 and 100.")),
            "backoff_base_ms": (10, 86400000, _("The first retry delay must be between 10 ms and 24 h.")),
            "backoff_factor": (1, float("inf"), _("The backoff factor must be at least 1.")),
            "max_concurrency": (1, 256, _("Max concurrent requests must be between 1 and 256.")),
        }
        for fname, (low, high, message) in limits.items():
            if fname in vals and not low <= (vals[fname] or 0) <= high:
                raise ValidationError(message)
        if vals.get("name"):
            others = self.with_context(active_test=False).search_count(
                [("name", "=", vals["name"]), ("id", "not in", self.ids)]
            )
            if others:
                raise ValidationError(_("A subscriber named %s already exists.", vals["name"]))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_vals(vals)
        result = super().write(vals)
        if vals:
            self.env.cr.execute(
                "UPDATE webhook_subscriber SET updated_at = now() WHERE id = ANY(%s)", [list(self.ids)]
            )
            self.invalidate_recordset(["updated_at"])
        return result

    def copy_data(self, default=None):
        default = dict(default or {})
        vals_list = super().copy_data(default)
        for record, vals in zip(self, vals_list, strict=True):
            vals.setdefault("name", _("%s (copy)", record.name))
        return vals_list

    # ------------------------------------------------------------------ buttons

    def action_generate_secret(self):
        """Replace the secret at once: the current one and any rotated-out one stop signing
        (for a new subscriber, or when a secret leaked)."""
        self.ensure_one()
        self.check_access("write")
        self.write({"secret": generate_secret(), "previous_secret": False})
        self.env.cr.execute(
            "UPDATE webhook_subscriber SET previous_secret_expires_at = NULL WHERE id = %s", [self.id]
        )
        self.invalidate_recordset(["previous_secret_expires_at"])
        return True

    def action_rotate_secret(self):
        """New secret; the old one keeps signing too for the grace period, so receivers can switch."""
        self.ensure_one()
        self.check_access("write")
        hours = float(
            self.env["ir.config_parameter"].sudo().get_param(
                ROTATION_GRACE_PARAMETER, DEFAULT_ROTATION_GRACE_HOURS
            )
        )
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE webhook_subscriber
               SET previous_secret = secret,
                   previous_secret_expires_at = now() + make_interval(secs => %s),
                   secret = %s, updated_at = now()
             WHERE id = %s
            """,
            [hours * 3600, generate_secret(), self.id],
        )
        self.invalidate_recordset()
        return True

    def action_send_test_event(self):
        """Queue a test delivery (model webhook.test) to this subscriber and show it."""
        self.ensure_one()
        self.check_access("write")
        self.env.flush_all()
        delivery_id = call_function(self.env.cr, "webhook_send_test_event", self.id)
        self.invalidate_recordset()
        return {
            "type": "ir.actions.act_window",
            "name": _("Test Delivery"),
            "res_model": "webhook.delivery",
            "res_id": delivery_id,
            "view_mode": "form",
            "target": "current",
        }

    def action_open_deliveries(self):
        """Open this subscriber's deliveries, filtered by the status given in the context."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("webhook_sidecar.webhook_delivery_action")
        status = self.env.context.get("delivery_status")
        action["domain"] = [("subscriber_id", "=", self.id)]
        action["context"] = {"search_default_status_" + status: 1} if status in STATUSES else {}
        return action


def record_rows(records, *columns):
    """Current values of these columns (constants of this module) for each record, in order."""
    records.env.flush_all()
    query = sql.SQL("SELECT id, {} FROM webhook_subscriber WHERE id = ANY(%s)").format(
        sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    )
    records.env.cr.execute(query, [list(records.ids)])
    rows = {row[0]: row[1:] for row in records.env.cr.fetchall()}
    return [rows[record.id] for record in records]
