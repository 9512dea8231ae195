// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { ControlPanel } from "@web/search/control_panel/control_panel";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { onWillStart, useState } from "@odoo/owl";

/**
 * On every Webhooks screen (any view of a webhook.* model), a banner above the view when no
 * sidecar is alive: nothing is sent then, and an admin should learn it before wondering why.
 * Same code on Odoo 18 and 19 (ControlPanel and its template are the same in both).
 */
patch(ControlPanel.prototype, {
    setup() {
        super.setup(...arguments);
        this.webhookBanner = useState({ message: false });
        const resModel = this.env.searchModel?.resModel || "";
        if (resModel.startsWith("webhook.")) {
            const orm = useService("orm");
            onWillStart(async () => {
                try {
                    this.webhookBanner.message = await orm.call(
                        "webhook.sidecar.instance", "get_down_banner", []
                    );
                } catch {
                    // A user without access to the sidecar's state sees the screen without it.
                    this.webhookBanner.message = false;
                }
            });
        }
    },
});
