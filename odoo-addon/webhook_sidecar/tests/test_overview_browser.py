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
