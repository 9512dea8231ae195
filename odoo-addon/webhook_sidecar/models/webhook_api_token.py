from odoo import _, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

MANAGER = "webhook_sidecar.group_webhook_manager"


class WebhookApiToken(models.Model):
    """A bearer token of the sidecar's pull API, one per app or device fleet (table
    webhook_api_token, owned by the sidecar's schema).

    Read-only: tokens are made by the Create API Token wizard (or the sidecar's
    ``token create``) and afterwards only revoked. The token itself is never stored; its
    SHA-256 (token_hash) is deliberately not mapped, so no Odoo user can read it. Only webhook
    managers have access to this model at all.
    """

    _name = "webhook.api.token"
    _description = "Webhook Pull API Token"
    _auto = False
    _log_access = False
    _order = "revoked, name, id desc"

    _table_query = SQL(
        """
        SELECT t.id, t.name,
               array_to_string(t.models, ', ') AS model_patterns,
               t.created_at AT TIME ZONE 'UTC' AS created_at,
               t.last_used_at AT TIME ZONE 'UTC' AS last_used_at,
               t.revoked_at AT TIME ZONE 'UTC' AS revoked_at,
               t.revoked_at IS NOT NULL AS revoked,
               (SELECT count(*) FROM webhook_device d WHERE d.token_id = t.id)::integer AS device_count
          FROM webhook_api_token t
        """
    )

    name = fields.Char(readonly=True)
    model_patterns = fields.Char(
        string="Models",
        readonly=True,
        help="What the token may pull: model names, prefixes such as product.*, or * for all.",
    )
    created_at = fields.Datetime(string="Created", readonly=True)
    last_used_at = fields.Datetime(
        string="Last Used", readonly=True, help="Last request with this token (refreshed at most once a minute)."
    )
    revoked_at = fields.Datetime(string="Revoked On", readonly=True)
    revoked = fields.Boolean(readonly=True, help="Requests with a revoked token get 401.")
    device_count = fields.Integer(string="Devices", readonly=True)
    device_ids = fields.One2many("webhook.device", "token_id", string="Devices List", readonly=True)

    def action_revoke(self):
        """Every request with this token gets 401 from now on; this cannot be undone (the app
        needs a new token). Its devices stop holding events back from retention."""
        self.ensure_one()
        # The model is read-only for the ORM (no write access for anyone), so the right to
        # revoke is the manager group itself, checked here.
        if not (self.env.su or self.env.user.has_group(MANAGER)):
            raise AccessError(_("Only webhook managers may revoke API tokens."))
        self.env.cr.execute(
            "UPDATE webhook_api_token SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL",
            [self.id],
        )
        self.env.invalidate_all()
        return True
