// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";
import { Component, onMounted, onWillUnmount, xml } from "@odoo/owl";

// Often enough to watch a backlog drain; each reload is one read of the overview's counts.
export const REFRESH_SECONDS = 15;

/**
 * Reloads the record of the form it sits in every REFRESH_SECONDS while the browser tab is
 * visible, so the webhooks overview stays current without pressing Refresh. Skips a round
 * while a reload is still running or the record has unsaved changes. Same code on Odoo 18
 * and 19 (view widget registry, Record.load()).
 */
export class AutoRefresh extends Component {
    static template = xml`<span class="o_webhook_auto_refresh text-muted small">Refreshes every <t t-esc="seconds"/> s</span>`;
    static props = standardWidgetProps;

    setup() {
        this.seconds = REFRESH_SECONDS;
        this.loading = false;
        onMounted(() => {
            this.timer = setInterval(() => this.refresh(), this.seconds * 1000);
        });
        onWillUnmount(() => clearInterval(this.timer));
    }

    async refresh() {
        const record = this.props.record;
        if (document.hidden || this.loading || record.dirty) {
            return;
        }
        this.loading = true;
        try {
            await record.load();
        } finally {
            this.loading = false;
        }
    }
}

registry.category("view_widgets").add("webhook_auto_refresh", { component: AutoRefresh });
