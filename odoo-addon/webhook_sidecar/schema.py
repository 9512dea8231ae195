"""The contract with the sidecar's schema (``sql/`` in the repository).

The addon never creates or alters these objects; it checks that they exist and calls the SQL
functions that hold the rules (tracking, replay, test events), so the addon, the sidecar's CLI
and a DBA at psql all change the data the same way.
"""

import psycopg2
from psycopg2 import sql

from odoo.exceptions import UserError

SCHEMA_MISSING_MESSAGE = (
    "The webhook sidecar schema is missing: run `java -jar odoo-webhook-sidecar.jar migrate` "
    "(or apply sql/) first."
)

REQUIRED_TABLES = (
    "webhook_tracked_model",
    "webhook_event",
    "webhook_subscriber",
    "webhook_delivery",
    "webhook_attempt",
    "webhook_sidecar_instance",
    "webhook_job_run",
    # The pull API for apps (sql/V5): tokens and devices are shown and managed here.
    "webhook_api_token",
    "webhook_app_profile",
    "webhook_device",
    "webhook_pull_horizon",
)

# Functions the addon calls, by regprocedure signature.
REQUIRED_FUNCTIONS = (
    "webhook_track(text,text,text[])",
    "webhook_untrack(text)",
    "webhook_capture_installed(text)",
    "webhook_replay_delivery(bigint)",
    "webhook_send_test_event(bigint)",
    "webhook_send_test_event(bigint,text,bigint)",
    "webhook_valid_model_patterns(text[])",
    # Content (sql/R__webhook_content.sql, R__webhook_capture.sql) and operations
    # (sql/R__webhook_operations.sql).
    "webhook_set_captured_fields(text,text[])",
    "webhook_delivery_body(bigint)",
    "webhook_preview_body(bigint,text,bigint)",
    "webhook_request_job(text)",
    # Copies of the database (sql/R__webhook_installation.sql): the banner and its button.
    "webhook_installation_status()",
    "webhook_check_installation()",
    "webhook_confirm_copy(boolean)",
    # Cancelling dead deliveries (sql/R__webhook_replay.sql).
    "webhook_cancel_delivery(bigint,text)",
    # Broker credentials, one rule for every client (sql/R__webhook_operations.sql).
    "webhook_set_broker_credentials(bigint,text,text,text)",
)




def missing_schema_objects(cr):
    """Names of the required tables and functions that do not exist in this database."""
    cr.execute(
        "SELECT t FROM unnest(%s::text[]) t WHERE to_regclass(t) IS NULL",
        [list(REQUIRED_TABLES)],
    )
    missing = [row[0] for row in cr.fetchall()]
    cr.execute(
        "SELECT f FROM unnest(%s::text[]) f WHERE to_regprocedure(f) IS NULL",
        [list(REQUIRED_FUNCTIONS)],
    )
    missing += [row[0] for row in cr.fetchall()]
    return missing


def check_schema(cr):
    """Raise a UserError that says what to do when the sidecar's schema is absent or old."""
    missing = missing_schema_objects(cr)
    if missing:
        raise UserError(f"{SCHEMA_MISSING_MESSAGE} Missing: {', '.join(missing)}.")


def call_function(cr, name, *args):
    """``SELECT name(args...)`` with the name quoted and the arguments as parameters.

    The schema's functions raise errors written for people (what is wrong, what to do); they
    are shown as such instead of as a server error, and not logged as a "bad query" (a
    refusal is the user's mistake, not the server's). A savepoint keeps the transaction usable.
    """
    query = sql.SQL("SELECT {}({})").format(
        sql.Identifier(name), sql.SQL(", ").join(sql.Placeholder() * len(args))
    )
    return execute_refusable(cr, query, args)[0][0]


def execute_refusable(cr, query, params):
    """Execute a statement that the schema's functions or triggers may refuse (a domain that
    cannot be compiled, a field that must not leave the database): the refusal is shown as a
    UserError in the schema's words, not logged as a "bad query", and a savepoint keeps the
    transaction usable. Returns the rows, if the statement returns any (read inside the
    savepoint: releasing it ends the result)."""
    try:
        with cr.savepoint():
            cr.execute(query, params, log_exceptions=False)
            return cr.fetchall() if cr.description else None
    except psycopg2.errors.UndefinedFunction as error:
        raise UserError(SCHEMA_MISSING_MESSAGE) from error
    except psycopg2.Error as error:
        message = error.diag.message_primary if error.diag else None
        raise UserError(message or str(error)) from error
