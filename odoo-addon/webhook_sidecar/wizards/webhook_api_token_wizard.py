import base64
import hashlib
import re
import secrets

import psycopg2

from odoo import _, fields, models
from odoo.exceptions import UserError

TOKEN_PREFIX = "whpt_"
# Messages for the schema's constraints on webhook_api_token, which have the final word.
CONSTRAINT_MESSAGES = {
    "webhook_api_token_name_check": "The name must be 1 to 200 characters long.",
    "webhook_api_token_models_check": "Name models such as res.partner, prefixes such as product.* or * for all.",
}


def generate_token():
    """A pull API token exactly as the sidecar makes them (ApiTokens.newToken): whpt_ and
    32 random bytes in base64url without padding (43 characters)."""
    return TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


def token_hash(token):
    """Hex SHA-256 of a token, as stored in webhook_api_token.token_hash."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def split_patterns(text):
    """Comma- or space-separated patterns, sorted and without duplicates like the CLI's."""
    return sorted({pattern for pattern in re.split(r"[\s,]+", text or "") if pattern})


class WebhookApiTokenWizard(models.TransientModel):
    """Creates a pull API token and shows it once.

    The token is shown in a second, never-saved dialog (its value travels in the action's
    context), so the plain token is written nowhere in the database, not even in this
    wizard's table.
    """

    _name = "webhook.api.token.wizard"
    _description = "Create a Webhook Pull API Token"

    name = fields.Char(required=True, help="Who uses it, e.g. sales-app. One active token per name.")
    model_patterns = fields.Char(
        string="Models",
        required=True,
        help="Comma-separated: model names (sale.order), prefixes (product.*) or * for all. "
        "The token can pull only these.",
    )
    # Never stored: only filled from the context of the dialog that shows it.
    token = fields.Char(string="API Token", store=False, readonly=True)

    def action_create_token(self):
        self.ensure_one()
        name = (self.name or "").strip()
        if not 1 <= len(name) <= 200:
            raise UserError(_("The name must be 1 to 200 characters long."))
        patterns = split_patterns(self.model_patterns)
        if not patterns:
            raise UserError(_("Name the models the token may pull, e.g. sale.order, res.partner, product.*"))
        invalid = self._invalid_patterns(patterns)
        if invalid:
            raise UserError(
                _(
                    "%s: not a model or model pattern; use e.g. res.partner, product.* or *.",
                    ", ".join(f'"{pattern}"' for pattern in invalid),
                )
            )
        unmatched = self._patterns_without_model(patterns)
        if unmatched:
            raise UserError(
                _(
                    "%s: no installed model has this name, so the token could never pull anything for it. "
                    "Check the technical name (e.g. res.partner, product.*) or install the module first.",
                    ", ".join(f'"{pattern}"' for pattern in unmatched),
                )
            )
        token = generate_token()
        self._insert_token(name, patterns, token_hash(token))
        return {
            "type": "ir.actions.act_window",
            "name": _("API Token Created"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(self.env.ref("webhook_sidecar.webhook_api_token_wizard_view_form_created").id, "form")],
            "target": "new",
            "context": {
                "default_name": name,
                "default_model_patterns": ", ".join(patterns),
                "default_token": token,
            },
        }

    def _invalid_patterns(self, patterns):
        """The patterns the schema's own rule, webhook_valid_model_patterns(), refuses."""
        self.env.cr.execute(
            "SELECT p FROM unnest(%s::text[]) p WHERE NOT webhook_valid_model_patterns(ARRAY[p])",
            [patterns],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _patterns_without_model(self, patterns):
        """The patterns that name no installed model: an exact name that is not in ir.model,
        a prefix such as product.* that no model starts with. * matches every model."""
        IrModel = self.env["ir.model"].sudo()
        unmatched = []
        for pattern in patterns:
            if pattern == "*":
                continue
            if pattern.endswith("*"):
                prefix = pattern[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                found = IrModel.search_count([("model", "=like", prefix + "%")], limit=1)
            else:
                found = bool(IrModel._get(pattern))
            if not found:
                unmatched.append(pattern)
        return unmatched

    def _insert_token(self, name, patterns, hashed):
        """INSERT the token row; the table's constraints decide, their errors become sentences."""
        try:
            with self.env.cr.savepoint():
                # A refused row is the user's mistake, answered below: not a server error to log
                # (with the token's hash in it).
                self.env.cr.execute(
                    "INSERT INTO webhook_api_token (name, token_hash, models) VALUES (%s, %s, %s::text[])"
                    " RETURNING id",
                    [name, hashed, patterns],
                    log_exceptions=False,
                )
                token_id = self.env.cr.fetchone()[0]
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name == "webhook_api_token_active_name_index":
                raise UserError(
                    _("An active token named %s exists already: choose another name, or revoke that one first.", name)
                ) from error
            raise
        except psycopg2.errors.CheckViolation as error:
            message = CONSTRAINT_MESSAGES.get(error.diag.constraint_name) or error.diag.message_primary
            raise UserError(_("The token was not created: %s", message)) from error
        self.env["webhook.api.token"].invalidate_model()
        return token_id
