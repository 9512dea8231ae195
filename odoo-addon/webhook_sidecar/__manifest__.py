# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Webhook Sidecar",
    "summary": "Configure and watch signed webhooks sent by the odoo-webhook-sidecar "
    "from PostgreSQL: tracked models, subscribers, deliveries, replays, app tokens and devices",
    "version": "1.2.0",
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
        "views/webhook_device_views.xml",
        "wizards/webhook_api_token_wizard_views.xml",
        "views/webhook_api_token_views.xml",
        "views/webhook_menus.xml",
    ],
    "assets": {
        "web.assets_backend": ["webhook_sidecar/static/src/**/*"],
    },
    "pre_init_hook": "pre_init_hook",
    "application": True,
    "installable": True,
}
