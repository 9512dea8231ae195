from odoo.tests import HttpCase, tagged

# Runs in the page once the overview is shown: queue a test delivery through the ORM's
# JSON-RPC route (as a button would), then wait, without touching the page, until the Pending
# count shown has changed: only the widget's own reload can change it.
REFRESH_CHECK = """
(async () => {
    // The first smart button is Pending (Odoo 18 and 19 show the button box above the sheet).
    const pending = () => document.querySelector(
        "button[name='action_open_deliveries'] .o_stat_value")?.textContent.trim();
    const waitFor = (condition, what, ms) => new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = () => {
            if (condition()) { resolve(); }
            else if (Date.now() - start > ms) { reject(new Error("timed out waiting for " + what)); }
            else { setTimeout(tick, 250); }
        };
        tick();
    });
    await waitFor(() => document.querySelector(".o_webhook_auto_refresh") && pending() !== undefined,
                  "the overview", 30000);
    const before = pending();
    const answer = await fetch("/web/dataset/call_kw/webhook.subscriber/action_queue_test_event", {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({jsonrpc: "2.0", method: "call", params: {
            model: "webhook.subscriber", method: "action_queue_test_event", args: [[%(subscriber_id)d]], kwargs: {}}}),
    }).then((response) => response.json());
    if (answer.error) { throw new Error(JSON.stringify(answer.error)); }
    await waitFor(() => pending() !== before, "the Pending count to change from " + before, 45000);
    console.log("test successful");
})().catch((error) => console.error("webhook overview: " + error.message));
"""


@tagged("post_install", "-at_install")
class TestOverviewInBrowser(HttpCase):
    """The overview in a real browser (skipped by Odoo where no Chrome or Chromium is installed)."""

    def test_the_overview_refreshes_by_itself(self):
        subscriber = self.env["webhook.subscriber"].create({"name": "Browser receiver", "url": "http://127.0.0.1:9/hook"})
        self.browser_js(
            "/odoo/action-webhook_sidecar.webhook_overview_action",
            REFRESH_CHECK % {"subscriber_id": subscriber.id},
            login="admin",
            timeout=120,
        )


# Runs in the page of the subscribers list while the database is held as a copy: the banner says
# so, its button asks for confirmation, and confirming removes the banner.
CONFIRM_COPY_CHECK = """
(async () => {
    const waitFor = (condition, what, ms) => new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = () => {
            if (condition()) { resolve(); }
            else if (Date.now() - start > ms) { reject(new Error("timed out waiting for " + what)); }
            else { setTimeout(tick, 250); }
        };
        tick();
    });
    await waitFor(() => document.querySelector(".o_webhook_copy_held .o_webhook_confirm_copy"),
                  "the copy banner with its button", 30000);
    if (!document.querySelector(".o_webhook_copy_held").textContent.includes("this database is a copy")) {
        throw new Error("the banner does not say why: " + document.querySelector(".o_webhook_copy_held").textContent);
    }
    document.querySelector(".o_webhook_confirm_copy").click();
    await waitFor(() => document.querySelector(".modal .modal-body")?.textContent.includes("signed with their secrets"),
                  "the confirmation dialog saying what it means", 15000);
    document.querySelector(".modal .modal-footer .btn-primary").click();
    await waitFor(() => !document.querySelector(".o_webhook_copy_held") && !document.querySelector(".modal"),
                  "the banner to go once confirmed", 30000);
    console.log("test successful");
})().catch((error) => console.error("webhook copy banner: " + error.message));
"""


@tagged("post_install", "-at_install")
class TestCopyBannerInBrowser(HttpCase):
    """The copy banner and its button in a real browser (skipped where no Chrome is installed)."""

    def test_a_manager_confirms_a_held_copy_from_the_banner(self):
        subscriber = self.env["webhook.subscriber"].create({"name": "Copied receiver", "url": "http://127.0.0.1:9/hook"})
        self.env.flush_all()
        self.env.cr.execute("UPDATE webhook_installation SET database_oid = 1")
        self.env.cr.execute("SELECT webhook_check_installation()")
        self.browser_js("/odoo/action-webhook_sidecar.webhook_subscriber_action", CONFIRM_COPY_CHECK, login="admin", timeout=120)
        self.env.cr.execute("SELECT state FROM webhook_installation_status()")
        self.assertEqual(self.env.cr.fetchone()[0], "original")
        self.env.invalidate_all()
        self.assertFalse(subscriber.paused)


# Runs in a subscriber's form: Send Test Event opens the dialog on a real record, says what it
# sends, and its button queues the test and opens the test delivery.
SEND_TEST_EVENT_CHECK = """
(async () => {
    const waitFor = (condition, what, ms) => new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = () => {
            if (condition()) { resolve(); }
            else if (Date.now() - start > ms) { reject(new Error("timed out waiting for " + what)); }
            else { setTimeout(tick, 250); }
        };
        tick();
    });
    await waitFor(() => document.querySelector(".o_form_view button[name='action_send_test_event']"),
                  "the subscriber form", 30000);
    document.querySelector(".o_form_view button[name='action_send_test_event']").click();
    await waitFor(() => document.querySelector(".modal [name='send_note']")?.textContent.includes("Browser partners only"),
                  "the dialog saying what it sends", 30000);
    document.querySelector(".modal .modal-footer button[name='action_send_test_event']").click();
    await waitFor(() => !document.querySelector(".modal")
                        && document.querySelector(".o_form_view [name='model']")?.textContent.includes("res.partner")
                        && document.querySelector(".o_form_view .o_field_widget[name='test'] input")?.checked,
                  "the test delivery's form", 30000);
    console.log("test successful");
})().catch((error) => console.error("webhook send test event: " + error.message));
"""


@tagged("post_install", "-at_install")
class TestSendTestEventInBrowser(HttpCase):
    """The Send Test Event dialog in a real browser (skipped where no Chrome is installed)."""

    def test_the_dialog_sends_a_real_records_body(self):
        partner_model = self.env["ir.model"]._get("res.partner")
        self.env["res.partner"].create({"name": "Browser Ada", "email": "ada@example.com"})
        self.env["webhook.tracked.model"].create({"model_id": partner_model.id})
        subscriber = self.env["webhook.subscriber"].create({
            "name": "Browser partners", "url": "http://127.0.0.1:9/hook", "model_ids": [(6, 0, partner_model.ids)],
        })
        self.env.flush_all()
        self.browser_js(
            f"/odoo/action-webhook_sidecar.webhook_subscriber_action/{subscriber.id}",
            SEND_TEST_EVENT_CHECK,
            login="admin",
            timeout=120,
        )
        self.env.cr.execute(
            "SELECT count(*) FROM webhook_delivery WHERE subscriber_id = %s AND model = 'res.partner' AND test",
            [subscriber.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1)
