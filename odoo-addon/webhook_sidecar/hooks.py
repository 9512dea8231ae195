from .schema import check_schema


def pre_init_hook(env):
    """Refuse to install before the sidecar's schema exists.

    The sidecar's SQL owns the tables; this addon only maps them (``_auto = False``), so Odoo
    would otherwise install "successfully" and fail on the first screen.
    """
    check_schema(env.cr)
