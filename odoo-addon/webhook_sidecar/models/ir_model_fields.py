import logging

from odoo import models

from .ir_model import maps_sidecar_table

_logger = logging.getLogger(__name__)


class IrModelFields(models.Model):
    _inherit = "ir.model.fields"

    def _drop_column(self):
        """Never drop a column of the sidecar's tables (on uninstall, or when a field leaves
        the code on upgrade): the schema is owned by the sidecar's SQL."""
        protected = self.filtered(lambda field: maps_sidecar_table(self.env, field.model))
        if protected:
            _logger.info("Keeping the sidecar's columns of %s", ", ".join(sorted(set(protected.mapped("model")))))
        return super(IrModelFields, self - protected)._drop_column()
