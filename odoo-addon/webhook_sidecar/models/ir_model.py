import logging

from odoo import api, models

from ..schema import REQUIRED_TABLES

_logger = logging.getLogger(__name__)


def maps_sidecar_table(env, model_name):
    """Whether this Odoo model reads or writes one of the sidecar's tables."""
    model = env.get(model_name)
    return model is not None and model._table in REQUIRED_TABLES


class IrModel(models.Model):
    _inherit = "ir.model"

    @api.depends("name", "model")
    @api.depends_context("webhook_show_technical_name")
    def _compute_display_name(self):
        """'Contact (res.partner)' in the addon's model pickers, which find a model by either
        name: the technical name is the one the sidecar, its CLI and the payloads use."""
        super()._compute_display_name()
        if self.env.context.get("webhook_show_technical_name"):
            for model in self:
                model.display_name = f"{model.name} ({model.model})"

    def _drop_table(self):
        """Never drop the sidecar's tables: they belong to its SQL schema, not to this addon.

        Odoo drops the table of every model of an addon that is uninstalled (DROP TABLE ...
        CASCADE), which would destroy the queue, the subscribers and the capture setup.
        """
        protected = self.filtered(lambda model: maps_sidecar_table(self.env, model.model))
        if protected:
            _logger.info("Keeping the sidecar's tables of %s", ", ".join(protected.mapped("model")))
        return super(IrModel, self - protected)._drop_table()
