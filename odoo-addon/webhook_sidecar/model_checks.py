"""Plain-words checks of what an admin names in the forms: models, tables and fields.

The schema's functions stay the authority (they refuse what cannot work, in SQL terms); these
run first so that the admin reads a sentence about Odoo models and fields, nothing is saved
that can never work, and Odoo's log gets no "bad query" for a user's mistake.
"""

from odoo.exceptions import ValidationError

from .schema import REQUIRED_TABLES


def table_kind(cr, table):
    """'r' (table), 'p' (partitioned), 'v' (view), ... of this table name, or None if absent."""
    cr.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(quote_ident(%s))", [table])
    row = cr.fetchone()
    return row[0] if row else None


def table_columns(cr, table):
    """The column names of this table (empty when it does not exist)."""
    cr.execute(
        "SELECT attname FROM pg_attribute"
        " WHERE attrelid = to_regclass(quote_ident(%s)) AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    return {row[0] for row in cr.fetchall()}


def model_label(env, model_name):
    """'Contact (res.partner)' for an installed model, else the technical name."""
    model = env["ir.model"].sudo()._get(model_name)
    return f"{model.name} ({model_name})" if model else model_name


def trackable_table(env, model_name, table=None):
    """The table whose changes can be captured for this model; ValidationError if none.

    A model has one when it is installed and stored in a table of its own: abstract models,
    wizards (transient) and reports or views (no table) have nothing to put triggers on.
    """
    if not model_name:
        raise ValidationError(env._("Choose the Odoo model to track."))
    model = env.get(model_name)
    if table is None:
        if model is None:
            raise ValidationError(
                env._("There is no model %s in this Odoo: check the technical name, or install its module first.", model_name)
            )
        if model._abstract or model._transient:
            kind = env._("a wizard") if model._transient else env._("an abstract model")
            raise ValidationError(
                env._("%(model)s is %(kind)s: its records are not stored, so there are no changes to send.",
                  model=model_label(env, model_name), kind=kind)
            )
        table = model._table
    if table in REQUIRED_TABLES:
        raise ValidationError(
            env._("%s belongs to the webhook sidecar itself: its changes cannot be sent as webhooks.", model_label(env, model_name))
        )
    if table_kind(env.cr, table) not in ("r", "p"):
        raise ValidationError(
            env._(
                "%s is not stored in a table of its own (it is a report, or computed from other models): "
                "track the models it reads from instead.",
                model_label(env, model_name),
            )
        )
    return table


def unknown_columns(env, table, names):
    """The names among these that are no column of this table, in the given order."""
    columns = table_columns(env.cr, table)
    return [name for name in names if name not in columns]
