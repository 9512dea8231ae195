import json

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..schema import call_function
from .webhook_sidecar_instance import sidecar_down_message

MANAGER = "webhook_sidecar.group_webhook_manager"
STATUS_SELECTION = [
    ("pending", "Pending"),
    ("processing", "Processing"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("dead", "Dead"),
    ("cancelled", "Cancelled"),
]
EVENT_SELECTION = [("create", "Create"), ("write", "Write"), ("unlink", "Delete")]
REPLAYABLE = ("failed", "dead", "cancelled", "sent")


def user_timezone(env):
    """The user's time zone name, UTC when unset or unknown to pytz (and so to PostgreSQL)."""
    tz = env.context.get("tz") or env.user.tz
    return tz if tz in pytz.all_timezones_set else "UTC"


def notification(title, message, warning=False, sticky=False, next_action=None):
    """A button's answer as a notification (success, or warning), then next_action: by default
    the view reloads, showing what the button changed."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": title,
            "message": message,
            "type": "warning" if warning else "success",
            "sticky": sticky,
            "next": next_action or {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }


class WebhookDelivery(models.Model):
    """One message to one subscriber about one record (table webhook_delivery), read-only.

    The sidecar moves deliveries through their statuses; the addon only asks for a replay,
    through the schema's webhook_replay_delivery(), which also folds in newer news of the
    record, or cancels a dead one (webhook_cancel_delivery(): kept, no longer a problem). Read through a query so timestamps arrive as UTC and arrays as text, which keeps
    search, group-by, graph and pivot working like on any Odoo model.
    """

    _name = "webhook.delivery"
    _description = "Webhook Delivery"
    _auto = False
    _log_access = False
    _order = "id desc"

    @property
    def _table_query(self):
        # created_hour is text in the user's time zone: the web client groups dates by day at
        # the finest, and "deliveries per hour" is what an admin watching a backlog wants.
        return SQL(
            """
            SELECT d.id, d.subscriber_id, d.model, d.record_id, d.test, d.event,
                   array_to_string(d.changed_fields, ', ') AS changed_fields,
                   d.status, d.coalesced_count, d.first_event_id, d.last_event_id,
                   d.first_captured_at AT TIME ZONE 'UTC' AS first_captured_at,
                   d.last_captured_at AT TIME ZONE 'UTC' AS last_captured_at,
                   d.content_version, d.attempts,
                   d.next_attempt_at AT TIME ZONE 'UTC' AS next_attempt_at,
                   d.locked_by,
                   d.locked_until AT TIME ZONE 'UTC' AS locked_until,
                   d.last_attempt_at AT TIME ZONE 'UTC' AS last_attempt_at,
                   d.last_status_code, d.last_error_type, d.last_error,
                   d.sent_at AT TIME ZONE 'UTC' AS sent_at,
                   d.cancelled_at AT TIME ZONE 'UTC' AS cancelled_at, d.cancelled_by,
                   d.created_at AT TIME ZONE 'UTC' AS created_at,
                   to_char(d.created_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:00') AS created_hour,
                   d.updated_at AT TIME ZONE 'UTC' AS updated_at
              FROM webhook_delivery d
            """,
            user_timezone(self.env),
        )

    subscriber_id = fields.Many2one("webhook.subscriber", string="Subscriber", readonly=True)
    model = fields.Char(readonly=True)
    record_id = fields.Integer(aggregator=False, string="Record ID", readonly=True)
    test = fields.Boolean(
        readonly=True,
        help="Sent by hand to check the subscriber (Send Test Event), not news of a change; "
        "it never merges with or waits for the record's real deliveries.",
    )
    event = fields.Selection(EVENT_SELECTION, readonly=True)
    changed_fields = fields.Char(readonly=True, help="For writes, the fields that changed.")
    status = fields.Selection(STATUS_SELECTION, readonly=True)
    coalesced_count = fields.Integer(
        string="Events Merged", readonly=True, help="Captured events merged into this delivery."
    )
    first_event_id = fields.Integer(aggregator=False, string="First Event", readonly=True)
    last_event_id = fields.Integer(aggregator=False, string="Last Event", readonly=True)
    first_captured_at = fields.Datetime(string="First Captured", readonly=True)
    last_captured_at = fields.Datetime(string="Last Captured", readonly=True)
    content_version = fields.Integer(
        aggregator=False,
        readonly=True,
        help="Bumped when news merged into an attempted delivery or it was replayed: "
        "the webhook-id changes with it.",
    )
    attempts = fields.Integer(aggregator=False, readonly=True)
    next_attempt_at = fields.Datetime(string="Next Attempt", readonly=True)
    locked_by = fields.Char(string="Sidecar", readonly=True)
    locked_until = fields.Datetime(string="Lease Until", readonly=True)
    last_attempt_at = fields.Datetime(string="Last Attempt", readonly=True)
    last_status_code = fields.Integer(aggregator=False, string="Last HTTP Code", readonly=True)
    last_error_type = fields.Char(readonly=True)
    last_error = fields.Text(readonly=True)
    sent_at = fields.Datetime(string="Sent", readonly=True)
    cancelled_at = fields.Datetime(string="Cancelled", readonly=True)
    cancelled_by = fields.Char(
        string="Cancelled By", readonly=True, help="The Odoo login, or the database user of the sidecar's CLI."
    )
    created_at = fields.Datetime(string="Created", readonly=True)
    created_hour = fields.Char(string="Hour Created", readonly=True, help="In your time zone.")
    updated_at = fields.Datetime(string="Updated", readonly=True)
    attempt_ids = fields.One2many("webhook.attempt", "delivery_id", string="Attempt Log", readonly=True)
    wait_reason = fields.Char(
        string="Why It Waits",
        compute="_compute_wait_reason",
        help="What holds this delivery back, when it is not simply due later.",
    )
    body = fields.Text(
        compute="_compute_body",
        groups=MANAGER,
        help="The JSON body of the webhook (key order aside), as the sidecar renders it.",
    )
    body_label = fields.Char(compute="_compute_body", groups=MANAGER)
    record_exists = fields.Boolean(compute="_compute_record_link", string="Record Exists")
    record_name = fields.Char(compute="_compute_record_link", string="Record")

    @api.depends("model", "record_id", "event", "test")
    def _compute_display_name(self):
        for delivery in self:
            test = _(" (test)") if delivery.test else ""
            delivery.display_name = f"#{delivery.id} {delivery.model},{delivery.record_id} {delivery.event}{test}"

    def _compute_wait_reason(self):
        waiting = self.filtered(lambda delivery: delivery.status in ("pending", "failed", "processing"))
        (self - waiting).wait_reason = False
        if not waiting:
            return
        down = sidecar_down_message(self.env)
        subscribers = waiting.subscriber_id.with_context(active_test=False)
        states = {subscriber.id: subscriber.breaker_state for subscriber in subscribers}
        for delivery in waiting:
            subscriber = delivery.subscriber_id.with_context(active_test=False)
            delivery.wait_reason = subscriber._wait_reason(states.get(subscriber.id), down)

    def _compute_body(self):
        for delivery in self:
            try:
                body = call_function(self.env.cr, "webhook_delivery_body", delivery.id)
            except UserError as error:
                delivery.body = str(error.args[0])
                delivery.body_label = _("Body")
                continue
            delivery.body = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)
            if "record" in body.get("data", {}):
                delivery.body_label = _("Body (data.record: the record as it is now, read again when sent)")
            else:
                delivery.body_label = _("Body as sent")

    def _linked_record(self):
        """The record this delivery is about, if its model is installed, it exists and the user may read it."""
        self.ensure_one()
        if self.model not in self.env:
            return None
        Model = self.env[self.model]
        if Model._abstract or Model._transient:
            return None
        record = Model.browse(self.record_id).exists()
        return record._filtered_access("read") or None

    def _compute_record_link(self):
        for delivery in self:
            record = delivery._linked_record()
            delivery.record_exists = bool(record)
            delivery.record_name = record.display_name if record else False

    def action_open_record(self):
        self.ensure_one()
        record = self._linked_record()
        if not record:
            raise UserError(_("%s,%s no longer exists, its model is not installed, or you may not read it.", self.model, self.record_id))
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "current",
        }

    def action_open_events(self):
        """The captured events merged into this delivery."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("webhook_sidecar.webhook_event_action")
        action["domain"] = [
            ("model", "=", self.model),
            ("id", ">=", self.first_event_id),
            ("id", "<=", self.last_event_id),
        ]
        if self.model != "webhook.test":
            # The fixed test event's record_id is its event's id; other deliveries name the record.
            action["domain"].append(("record_id", "=", self.record_id))
        action["context"] = {}
        return action

    def _check_manager(self, what=None):
        if not self.env.user.has_group(MANAGER):
            raise AccessError(what or _("Only webhook managers may replay deliveries."))

    def _replay(self):
        self._check_manager()
        for delivery in self:
            call_function(self.env.cr, "webhook_replay_delivery", delivery.id)
        self.env.invalidate_all()

    def action_retry(self):
        """Retry now: back to pending, due at once, attempts reset (the sidecar picks it up)."""
        self.ensure_one()
        if self.status not in REPLAYABLE:
            raise UserError(_("Delivery %s is %s; only failed, dead, cancelled or sent ones can be sent again.", self.id, self.status))
        self._replay()
        return True

    def action_retry_selected(self):
        """List action: replay the selected failed, dead and cancelled deliveries, skip the others."""
        self._check_manager()
        retry = self.filtered(lambda delivery: delivery.status in ("failed", "dead", "cancelled"))
        retry._replay()
        return self._selection_result(
            _("Retry"),
            retry,
            _("%s deliveries queued again.", len(retry)),
            _("%s skipped: only failed, dead and cancelled deliveries are retried.", len(self) - len(retry)),
        )

    def _selection_result(self, title, done, done_message, skipped_message):
        """The answer of a list action that acted on `done`, part of the selection `self`: the
        done message, and the skipped message when some were left; a warning when none was done."""
        message = done_message
        if len(self) > len(done):
            message += " " + skipped_message
        return notification(title, message, warning=not done)

    # ------------------------------------------------------------------ cancel

    def _cancel(self):
        """Cancel these dead deliveries through the schema (which refuses any other status)."""
        self._check_manager(_("Only webhook managers may cancel deliveries."))
        for delivery in self:
            call_function(self.env.cr, "webhook_cancel_delivery", delivery.id, self.env.user.login)
        self.env.invalidate_all()

    def action_cancel(self):
        """Keep this dead delivery, stop showing it as a problem (Retry Now still sends it).
        The schema decides what may be cancelled: any other status is refused in one line
        (SQLSTATE 22023, a UserError through call_function), one already cancelled stays so."""
        self.ensure_one()
        self._cancel()
        return True

    def action_cancel_selected(self):
        """List action: cancel the selected dead deliveries, skip the others."""
        self._check_manager(_("Only webhook managers may cancel deliveries."))
        cancel = self.filtered(lambda delivery: delivery.status == "dead")
        cancel._cancel()
        return self._selection_result(
            _("Cancel"),
            cancel,
            _("%s deliveries cancelled.", len(cancel)),
            _("%s skipped: only dead deliveries are cancelled.", len(self) - len(cancel)),
        )
