from odoo import fields, models
from odoo.tools import SQL

MANAGER = "webhook_sidecar.group_webhook_manager"
# A device that has not synced for this long no longer holds events back from retention: the
# sidecar's default WEBHOOK_RETENTION_DEVICES (30d).
SILENT_AFTER_DAYS = 30

SYNC_STATES = [
    ("active", "Active"),
    ("silent", "Silent"),
    ("revoked", "Token Revoked"),
]


class WebhookDevice(models.Model):
    """One device of an app and how far it has synced through the pull API (table
    webhook_device, written by the sidecar only).

    The table is keyed by (token_id, device_id). The id here is token_id * 2^32 plus a 32-bit
    hash of device_id: stable across reads, and a collision needs two devices of one token with
    the same hash (hashtext alone, over all devices, would collide within a few ten thousand).
    """

    _name = "webhook.device"
    _description = "Webhook Pull API Device"
    _auto = False
    _log_access = False
    _order = "last_sync_at desc, device_id"
    _rec_name = "device_id"

    # newest_seq is what the sidecar offers a device as the newest cursor (DeviceSync.newest):
    # one index lookup, shared by every row.
    _table_query = SQL(
        """
        SELECT d.token_id * 4294967296 + (hashtext(d.device_id)::bigint & 4294967295) AS id,
               d.token_id, t.name AS token_name, d.device_id, d.profile,
               array_to_string(d.models, ', ') AS model_patterns,
               d.cursor_seq, d.offered_seq,
               greatest(head.newest_seq - d.cursor_seq, 0) AS lag,
               head.removed_through > d.cursor_seq AS resync_required,
               CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked'
                    WHEN d.last_sync_at > now() - make_interval(days => %s) THEN 'active'
                    ELSE 'silent' END AS sync_state,
               d.created_at AT TIME ZONE 'UTC' AS created_at,
               d.last_sync_at AT TIME ZONE 'UTC' AS last_sync_at,
               d.acknowledged_at AT TIME ZONE 'UTC' AS acknowledged_at,
               d.reset_at AT TIME ZONE 'UTC' AS reset_at
          FROM webhook_device d
          JOIN webhook_api_token t ON t.id = d.token_id
         CROSS JOIN (
               SELECT h.removed_through,
                      greatest(h.removed_through,
                               coalesce((SELECT max(routed_seq) FROM webhook_event
                                          WHERE routed_seq IS NOT NULL), 0)) AS newest_seq
                 FROM (SELECT coalesce(max(removed_through), 0) AS removed_through
                         FROM webhook_pull_horizon) h) head
        """,
        SILENT_AFTER_DAYS,
    )

    token_id = fields.Many2one(
        "webhook.api.token", string="Token", readonly=True, groups=MANAGER,
    )
    token_name = fields.Char(string="Token Name", readonly=True, help="The app's API token this device pulls with.")
    device_id = fields.Char(string="Device ID", readonly=True)
    profile = fields.Char(readonly=True, help="The app profile it pulls by (e.g. sales), if any.")
    model_patterns = fields.Char(
        string="Models",
        readonly=True,
        help="The models it syncs, fixed by its first pull or its last reset.",
    )
    cursor_seq = fields.Integer(
        aggregator=False,
        string="Cursor",
        readonly=True,
        help="Position in the sequence of routed events (routed_seq) up to which the device "
        "acknowledged it has stored every change.",
    )
    offered_seq = fields.Integer(
        aggregator=False,
        string="Offered Cursor", readonly=True, help="Cursor offered by its latest pull: the most it may acknowledge."
    )
    lag = fields.Integer(
        readonly=True,
        help="Upper bound of the events it has yet to pull: the newest routed event's position "
        "minus its cursor. It counts events of every model (the device may want fewer) and "
        "numbers skipped by rolled-back routing, and so costs one index lookup for all devices; "
        "0 means in sync. The app "
        "gets the exact count for its models from the pull API's state endpoint.",
    )
    resync_required = fields.Boolean(
        string="Must Resync",
        readonly=True,
        help="Retention removed events above its cursor (cursor below webhook_pull_horizon): "
        "its next pull answers resync_required, and the app reloads its data and resets.",
    )
    sync_state = fields.Selection(
        SYNC_STATES,
        string="State",
        readonly=True,
        help=f"Active: synced within {SILENT_AFTER_DAYS} days (the sidecar's default "
        "WEBHOOK_RETENTION_DEVICES), so retention keeps the events it has not acknowledged. "
        "Silent: it no longer holds events back. Token Revoked: its requests get 401.",
    )
    created_at = fields.Datetime(string="First Sync", readonly=True)
    last_sync_at = fields.Datetime(string="Last Sync", readonly=True, help="Last pull, acknowledgement or reset.")
    acknowledged_at = fields.Datetime(string="Last Acknowledged", readonly=True)
    reset_at = fields.Datetime(string="Last Reset", readonly=True)
