import base64
import json
import re
import secrets

from psycopg2 import sql

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..broker_url import broker_scheme, broker_url_problem
from ..model_checks import model_label, table_columns, trackable_table
from ..schema import call_function, check_schema, execute_refusable
from .webhook_delivery import notification
from .webhook_sidecar_instance import held_as_copy, sidecar_down_message
from .webhook_tracked_model import split_names

MANAGER = "webhook_sidecar.group_webhook_manager"
EVENTS = ("create", "write", "unlink")
STATUSES = ("pending", "processing", "sent", "failed", "dead")
WAITING = ("pending", "processing", "failed")
PAYLOAD_SELECTION = [
    ("ids", "Ids and changed fields"),
    ("changes", "Changes (old and new values)"),
    ("record", "Record (as it is when sent)"),
]
BREAKER_SELECTION = [
    ("closed", "Closed (sending)"),
    ("half_open", "Half-open (one trial request)"),
    ("open", "Open (waiting before trying again)"),
    ("unknown", "Unknown (no running sidecar reported it)"),
]
# A sidecar refreshes its breaker states with its heartbeat; older rows are not believed.
BREAKER_FRESH_SECONDS = 60
# How long a rotated-out secret keeps signing, unless the system parameter says otherwise.
DEFAULT_ROTATION_GRACE_HOURS = 24
ROTATION_GRACE_PARAMETER = "webhook_sidecar.secret_rotation_grace_hours"
URL_PATTERN = re.compile(r"^https?://[^/?#\s]+", re.IGNORECASE)
BROKER_CREDENTIALS = ("broker_username", "broker_password", "broker_token")


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
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Webhook Subscriber"
    _auto = False
    _table = "webhook_subscriber"
    _log_access = False
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    url = fields.Char(
        string="URL",
        required=True,
        groups=MANAGER,
        help="Where the signed POST goes (http:// or https://), or the message broker it is "
        "published to: kafka://host:port[,host:port]/topic or nats://host:port/subject.prefix "
        "(options ?tls=true, and for Kafka &sasl=PLAIN|SCRAM-SHA-256|SCRAM-SHA-512). URLs often "
        "carry tokens, so only webhook managers see them.",
    )
    is_broker = fields.Boolean(
        string="Broker Destination",
        compute="_compute_is_broker",
        groups=MANAGER,
        help="The URL names a Kafka or NATS JetStream broker, not an HTTP receiver.",
    )
    # Broker credentials (table webhook_broker_credential): write-only, like a password field
    # that is never filled in again. Empty input keeps what is stored.
    broker_username = fields.Char(
        string="Broker User",
        compute="_compute_broker_inputs",
        readonly=False,
        groups=MANAGER,
        help="Kafka SASL or NATS user name. Stored, never shown again; leave empty to keep the "
        "stored one. Replaces a stored token.",
    )
    broker_password = fields.Char(
        string="Broker Password",
        compute="_compute_broker_inputs",
        readonly=False,
        groups=MANAGER,
        help="The broker user's password. Stored, never shown again; leave empty to keep the stored one.",
    )
    broker_token = fields.Char(
        string="Broker Token",
        compute="_compute_broker_inputs",
        readonly=False,
        groups=MANAGER,
        help="A NATS token, instead of a user and password (it replaces them). Stored, never "
        "shown again; leave empty to keep the stored one.",
    )
    broker_credentials_stored = fields.Char(
        string="Stored Broker Credentials",
        compute="_compute_broker_credentials_stored",
        groups=MANAGER,
        help="What the sidecar logs in to the broker with, without showing it.",
    )
    broker_credentials_set = fields.Boolean(compute="_compute_broker_credentials_stored", groups=MANAGER)
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
    active = fields.Boolean(
        default=True,
        tracking=True,
        help="Inactive: events are not routed to it at all, so what happens meanwhile is never "
        "delivered to it. To stop sending for a while without missing anything, pause it instead.",
    )
    paused = fields.Boolean(
        default=False,
        readonly=True,
        tracking=True,
        help="Paused: events are still routed to it and wait as pending deliveries; nothing is "
        "sent until it is resumed, and then everything is. Unlike inactive, nothing is missed.",
    )
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
    payload = fields.Selection(
        PAYLOAD_SELECTION,
        string="Payload",
        default="ids",
        required=True,
        tracking=True,
        help="What a delivery carries. Ids: the record's model, id and changed field names. "
        "Changes: also the old and new values of the model's captured fields. Record: also the "
        "record's fields as they are when the delivery is sent (not as they were at the event).",
    )
    single_model = fields.Char(
        compute="_compute_single_model",
        help="The technical name of the subscribed model when exactly one is chosen: a domain "
        "and record fields name that model's fields.",
    )
    record_field_ids = fields.Many2many(
        "ir.model.fields",
        string="Record Fields",
        compute="_compute_content",
        inverse="_inverse_content",
        help="For payload Record: the fields sent as data.record. Empty: the model's captured fields.",
    )
    filter_domain = fields.Char(
        string="Only Records Matching",
        compute="_compute_content",
        inverse="_inverse_content",
        help="An Odoo domain over the model's captured fields, tested against each event's new "
        "values (the last values for a delete). Events that do not match are not delivered.",
    )
    timeout_ms = fields.Integer(string="Timeout (ms)", default=10000, tracking=True)
    max_retries = fields.Integer(string="Max Retries", default=5, tracking=True)
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

    breaker_state = fields.Selection(
        BREAKER_SELECTION,
        string="Circuit Breaker",
        compute="_compute_health",
        help="As the running sidecars last reported it (within a minute). Open: the receiver "
        "failed too often, so the sidecar waits before it tries again; its deliveries wait.",
    )
    last_success_at = fields.Datetime(string="Last Success", compute="_compute_health")
    last_error_at = fields.Datetime(string="Last Error At", compute="_compute_health")
    last_error = fields.Char(string="Last Error", compute="_compute_health")
    waiting_count = fields.Integer(
        string="Deliveries Waiting",
        compute="_compute_health",
        help="Pending, being sent, or failed and due for a retry.",
    )
    waiting_since = fields.Datetime(
        string="Waiting Since", compute="_compute_health", help="When the oldest waiting delivery was created."
    )
    status_note = fields.Char(compute="_compute_health", help="Why this subscriber's deliveries wait, if they do.")
    notify_dead = fields.Boolean(
        string="Activity on Dead Deliveries",
        compute="_compute_notify_dead",
        inverse="_inverse_notify_dead",
        help="When deliveries of this subscriber become dead (all retries failed), schedule a "
        "to-do activity on it for the webhook managers.",
    )

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
        execute_refusable(self.env.cr, query, [*assignments.values(), list(self.ids)])

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

    # ------------------------------------------------------------------ content: payload, domain

    @api.depends("model_ids")
    def _compute_single_model(self):
        for record in self:
            names = record.model_ids.sudo().mapped("model")
            record.single_model = names[0] if len(names) == 1 and not record.models_other else False

    def _compute_content(self):
        rows = self._sql_rows(("record_fields", "domain", "models"))
        Fields = self.env["ir.model.fields"].sudo()
        for record in self:
            record_fields, domain, models_ = rows.get(record._origin.id) or (None, None, None)
            if record_fields and models_ and len(models_) == 1:
                found = Fields.search([("model", "=", models_[0]), ("name", "in", record_fields)])
            else:
                found = Fields
            record.record_field_ids = found
            record.filter_domain = domain or False

    def _inverse_content(self):
        # create() and write() save these after every other field (see _write_content): the
        # schema checks a domain against the subscribed model, which another inverse writes.
        return

    def _pop_content(self, vals):
        """Take the content fields out of vals, as {column: value} for _write_content."""
        content = {}
        if "record_field_ids" in vals:
            chosen = self.new({"record_field_ids": vals.pop("record_field_ids")}).record_field_ids
            content["record_fields"] = chosen.sudo().mapped("name") or None
        if "filter_domain" in vals:
            domain = (vals.pop("filter_domain") or "").strip()
            content["domain"] = None if domain in ("", "[]") else domain
        return content

    def _write_content(self, content):
        if content:
            self._set_columns(content)
            self.invalidate_recordset(["record_field_ids", "filter_domain"])

    # ------------------------------------------------------------------ broker credentials

    @api.depends("url")
    def _compute_is_broker(self):
        for record in self:
            record.is_broker = bool(broker_scheme(record.url))

    def _compute_broker_inputs(self):
        # Write-only: what is stored is never read back into the form.
        for record in self:
            record.update(dict.fromkeys(BROKER_CREDENTIALS, False))

    def _compute_broker_credentials_stored(self):
        rows = {}
        ids = [record._origin.id for record in self if record._origin.id]
        if ids:
            self.env.cr.execute(
                "SELECT subscriber_id, username IS NOT NULL, password IS NOT NULL, token IS NOT NULL"
                " FROM webhook_broker_credential WHERE subscriber_id = ANY(%s)",
                [ids],
            )
            rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for record in self:
            user, password, token = rows.get(record._origin.id, (False, False, False))
            record.broker_credentials_set = bool(user or token)
            if token:
                record.broker_credentials_stored = _("A token")
            elif user and password:
                record.broker_credentials_stored = _("A user name and a password")
            elif user:
                record.broker_credentials_stored = _("A user name, no password")
            else:
                record.broker_credentials_stored = _("None")

    def _pop_broker_credentials(self, vals):
        """Take the credential inputs out of vals: {field: value} of those given, not empty."""
        given = {}
        for fname in BROKER_CREDENTIALS:
            value = vals.pop(fname, False)
            if value:
                given[fname] = value
        if given.get("broker_token") and (given.get("broker_username") or given.get("broker_password")):
            raise ValidationError(
                _("Give the broker a user name and password, or a token, not both.")
            )
        return given

    def _write_broker_credentials(self, given):
        """Store the credentials given (webhook_broker_credential): a user name replaces a token
        and a token replaces a user name and password; what was not given stays."""
        self.ensure_one()
        if not given:
            return
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT username, password, token FROM webhook_broker_credential WHERE subscriber_id = %s",
            [self.id],
        )
        username, password, token = self.env.cr.fetchone() or (None, None, None)
        if "broker_token" in given:
            username, password, token = None, None, given["broker_token"]
        if "broker_username" in given:
            username, token = given["broker_username"], None
        if "broker_password" in given:
            password = given["broker_password"]
        # The schema's one rule (webhook_broker_credentials_problem) decides what fits the URL,
        # for the CLI, psql and this form alike; a refusal comes back in its words.
        execute_refusable(
            self.env.cr,
            sql.SQL("SELECT webhook_set_broker_credentials(%s, %s, %s, %s)"),
            [self.id, username, password, token],
        )
        self.invalidate_recordset(["broker_credentials_stored", "broker_credentials_set"])

    def action_clear_broker_credentials(self):
        """Forget the stored broker credentials (the sidecar then connects without any)."""
        self.ensure_one()
        self.check_access("write")
        execute_refusable(
            self.env.cr,
            sql.SQL("SELECT webhook_set_broker_credentials(%s, NULL, NULL, NULL)"),
            [self.id],
        )
        self.invalidate_recordset(["broker_credentials_stored", "broker_credentials_set"])
        return True

    # ------------------------------------------------------------------ health

    def _compute_health(self):
        ids = [record._origin.id for record in self if record._origin.id]
        rows = {}
        if ids:
            self.env.flush_all()
            self.env.cr.execute(
                """
                SELECT s.id,
                       (SELECT CASE WHEN bool_or(b.state = 'open') THEN 'open'
                                    WHEN bool_or(b.state = 'half_open') THEN 'half_open'
                                    WHEN count(*) > 0 THEN 'closed' END
                          FROM webhook_subscriber_breaker b
                         WHERE b.subscriber_id = s.id
                           AND b.updated_at > now() - make_interval(secs => %s)),
                       (SELECT max(d.sent_at) FROM webhook_delivery d
                         WHERE d.subscriber_id = s.id AND d.status = 'sent') AT TIME ZONE 'UTC',
                       e.last_attempt_at AT TIME ZONE 'UTC', e.last_error,
                       w.waiting, w.since AT TIME ZONE 'UTC'
                  FROM webhook_subscriber s
                  LEFT JOIN LATERAL (
                        SELECT d.last_attempt_at, coalesce(d.last_error, d.last_error_type) AS last_error
                          FROM webhook_delivery d
                         WHERE d.subscriber_id = s.id AND d.last_error_type IS NOT NULL
                         ORDER BY d.last_attempt_at DESC NULLS LAST, d.id DESC
                         LIMIT 1) e ON true
                  LEFT JOIN LATERAL (
                        SELECT count(*) AS waiting, min(d.created_at) AS since
                          FROM webhook_delivery d
                         WHERE d.subscriber_id = s.id AND d.status = ANY(%s)) w ON true
                 WHERE s.id = ANY(%s)
                """,
                [BREAKER_FRESH_SECONDS, list(WAITING), ids],
            )
            rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        down = sidecar_down_message(self.env)
        for record in self:
            breaker, success, error_at, error, waiting, since = rows.get(
                record._origin.id, (None, None, None, None, 0, None)
            )
            record.breaker_state = breaker or "unknown"
            record.last_success_at = success
            record.last_error_at = error_at
            record.last_error = error
            record.waiting_count = waiting or 0
            record.waiting_since = since
            record.status_note = record._wait_reason(breaker or "unknown", down) if waiting else False

    def _wait_reason(self, breaker, down):
        """Why this subscriber's deliveries wait, in plain words, or False when nothing holds them."""
        self.ensure_one()
        if not self.active:
            return _("Inactive: its waiting deliveries are not sent, and new changes are not routed to it.")
        if self.paused:
            if held_as_copy(self.env, self.id):
                return _(
                    "Held: this database is a copy of another one, so nothing is sent until a webhook "
                    "manager confirms that it may deliver (the banner at the top); nothing is lost meanwhile."
                )
            return _("Paused: deliveries wait until you resume it; nothing is lost meanwhile.")
        if down:
            return down
        if breaker == "open":
            return _(
                "The circuit breaker is open: the receiver failed too often, so the sidecar waits "
                "before it tries again."
            )
        return False

    def _compute_notify_dead(self):
        alerts = self.env["webhook.dead.alert"].sudo().search([("subscriber_id", "in", self._origin.ids)])
        enabled = set(alerts.mapped("subscriber_id"))
        for record in self:
            record.notify_dead = record._origin.id in enabled

    def _inverse_notify_dead(self):
        Alert = self.env["webhook.dead.alert"].sudo()
        for record in self:
            existing = Alert.search([("subscriber_id", "=", record.id)])
            if record.notify_dead and not existing:
                Alert.create({"subscriber_id": record.id})
            elif not record.notify_dead:
                existing.unlink()

    # ------------------------------------------------------------------ checks with kind words
    # The schema's CHECK and UNIQUE constraints stay the authority; these run before the INSERT
    # or UPDATE so the user reads a sentence instead of a constraint name.

    def _check_vals(self, vals):
        if "url" in vals:
            url = (vals["url"] or "").strip()
            if broker_scheme(url):
                problem = broker_url_problem(url)
                if problem:
                    # Not echoed: it may carry a password the admin should not see again.
                    raise ValidationError(_("This broker URL cannot be used: %s.", problem))
            elif not URL_PATTERN.match(url):
                raise ValidationError(
                    _("The URL must start with http://, https://, kafka:// or nats:// and a host name.")
                )
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
        contents = []
        credentials = []
        for vals in vals_list:
            self._check_vals(vals)
            contents.append(self._pop_content(vals))
            credentials.append(self._pop_broker_credentials(vals))
        records = super().create(vals_list)
        for record, content, given in zip(records, contents, credentials, strict=True):
            record._write_content(content)
            record._write_broker_credentials(given)
        return records

    def write(self, vals):
        self._check_vals(vals)
        vals = dict(vals)
        content = self._pop_content(vals)
        given = self._pop_broker_credentials(vals)
        result = super().write(vals) if vals else True
        self._write_content(content)
        for record in self:
            record._write_broker_credentials(given)
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
        """Open the test event dialog: pick a real record, see the body it sends, send it."""
        self.ensure_one()
        self.check_access("write")
        return self._open_preview(_("Send a Test Event to %s", self.name))

    def action_queue_test_event(self, model=None, record_id=None):
        """Queue a test delivery to this subscriber only: the body it gets for that record (as if
        just created), or the fixed test event without one. Both carry "test": true in data."""
        self.ensure_one()
        self.check_access("write")
        self.env.flush_all()
        if model:
            record_id = int(record_id) if record_id else None  # none: the schema says what to give
            delivery_id = call_function(self.env.cr, "webhook_send_test_event", self.id, model, record_id)
            record = (
                self.env[model].sudo().browse(record_id).display_name
                if model in self.env
                else f"{model} #{record_id}"
            )
            message = _(
                "Test delivery #%(delivery)s is queued: the body %(name)s gets for %(record)s, as "
                "if it had just been created, with \"test\": true in its data. Its real "
                "deliveries are not touched.",
                delivery=delivery_id,
                name=self.name,
                record=record,
            )
        else:
            delivery_id = call_function(self.env.cr, "webhook_send_test_event", self.id)
            message = _(
                "Test delivery #%s is queued: the fixed test event (model webhook.test, record 0, "
                "no field values), with \"test\": true in its data.",
                delivery_id,
            )
        self.invalidate_recordset()
        reason = self._wait_reason("unknown", sidecar_down_message(self.env))
        if reason:
            message += " " + _("It will wait: %s", reason)
        return notification(
            _("Test Event"),
            message,
            warning=bool(reason),
            sticky=bool(reason),
            next_action={
                "type": "ir.actions.act_window",
                "name": _("Test Delivery"),
                "res_model": "webhook.delivery",
                "res_id": delivery_id,
                "views": [[False, "form"]],
                "target": "current",
            },
        )

    def action_pause(self):
        """Keep routing, stop sending: deliveries wait until resumed."""
        self.ensure_one()
        self.check_access("write")
        self.write({"paused": True})
        return True

    def action_resume(self):
        self.ensure_one()
        self.check_access("write")
        self.write({"paused": False})
        return True

    def action_preview(self):
        """Open the preview of the body this subscriber would get for a real record."""
        self.ensure_one()
        self.check_access("write")
        return self._open_preview(_("Preview of %s", self.name))

    def _open_preview(self, title):
        # Preview and test event share one dialog: the body shown is the body a test sends.
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "webhook.subscriber.preview",
            "view_mode": "form",
            "target": "new",
            "context": {"default_subscriber_id": self.id},
        }

    def action_delete_with_history(self):
        """Delete this subscriber with its deliveries and attempts (after the form's confirmation)."""
        self.ensure_one()
        self.check_access("unlink")
        action = self.env["ir.actions.act_window"]._for_xml_id("webhook_sidecar.webhook_subscriber_action")
        self.with_context(webhook_delete_history=True).unlink()
        return action

    def unlink(self):
        """Deliveries and their attempts go with a subscriber (the schema cascades): say how
        many, and offer archiving, unless asked for explicitly."""
        if not self.env.context.get("webhook_delete_history") and self.ids:
            self.env.cr.execute(
                """
                SELECT count(DISTINCT d.id), count(a.id)
                  FROM webhook_delivery d LEFT JOIN webhook_attempt a ON a.delivery_id = d.id
                 WHERE d.subscriber_id = ANY(%s)
                """,
                [list(self.ids)],
            )
            deliveries, attempts = self.env.cr.fetchone()
            if deliveries:
                raise UserError(
                    _(
                        "Deleting %(names)s also deletes its history: %(deliveries)s deliveries and "
                        "%(attempts)s attempts. Archive it instead (it stops receiving and keeps its "
                        "history), or use Delete with History in its form.",
                        names=", ".join(self.mapped("name")),
                        deliveries=f"{deliveries:,}",
                        attempts=f"{attempts:,}",
                    )
                )
        self.env["webhook.dead.alert"].sudo().search([("subscriber_id", "in", self.ids)]).unlink()
        return super().unlink()

    @api.model
    def _cron_notify_dead_deliveries(self):
        """For subscribers that opted in: one to-do activity per manager when deliveries became
        dead since the last look."""
        Alert = self.env["webhook.dead.alert"].sudo()
        managers = self.env.ref(MANAGER).sudo()
        users_field = "user_ids" if "user_ids" in managers._fields else "users"
        users = managers[users_field].filtered(lambda user: user.active and not user.share)
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for alert in Alert.search([]):
            subscriber = self.sudo().browse(alert.subscriber_id).exists()
            if not subscriber:
                alert.unlink()
                continue
            self.env.cr.execute(
                """
                SELECT count(*), max(updated_at) AT TIME ZONE 'UTC' FROM webhook_delivery
                 WHERE subscriber_id = %s AND status = 'dead' AND updated_at > %s AT TIME ZONE 'UTC'
                """,
                [subscriber.id, alert.checked_at],
            )
            count, newest = self.env.cr.fetchone()
            if not count:
                continue
            for user in users:
                subscriber.activity_schedule(
                    activity_type_id=todo.id if todo else False,
                    summary=_("%(count)s dead deliveries to %(name)s", count=count, name=subscriber.name),
                    note=_(
                        "All retries failed. Look at the last error on the subscriber, fix the "
                        "receiver, then retry the dead deliveries (Deliveries, filter Dead, Retry)."
                    ),
                    user_id=user.id,
                )
            alert.checked_at = newest

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
