# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Webhook Sidecar",
    "summary": "Configure and watch signed webhooks sent by the odoo-webhook-sidecar "
    "from PostgreSQL: tracked models, subscribers, deliveries, replays",
    "version": "18.0.1.0.0",
    "category": "Technical",
    "license": "LGPL-3",
    "author": "odoo-webhook-sidecar contributors",
    "depends": ["base", "web"],
    "data": [
        "security/webhook_security.xml",
        "security/ir.model.access.csv",
        "views/webhook_tracked_model_views.xml",
        "views/webhook_subscriber_views.xml",
        "views/webhook_attempt_views.xml",
        "views/webhook_delivery_views.xml",
        "views/webhook_event_views.xml",
        "views/webhook_sidecar_instance_views.xml",
        "views/webhook_job_run_views.xml",
        "views/webhook_overview_views.xml",
        "views/webhook_menus.xml",
    ],
    "pre_init_hook": "pre_init_hook",
    "application": True,
    "installable": True,
}
