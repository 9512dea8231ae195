// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { ControlPanel } from "@web/search/control_panel/control_panel";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { onWillStart, useState } from "@odoo/owl";

/**
 * On every Webhooks screen (any view of a webhook.* model), banners above the view: when no
 * sidecar is alive (nothing is sent then, and an admin should learn it before wondering why),
 * and when deliveries are held because this database is a copy of the one the sidecar was set
 * up on, with a button for webhook managers to confirm that it may deliver.
 * Same code on Odoo 18 and 19 (ControlPanel and its template are the same in both).
 */
patch(ControlPanel.prototype, {
    setup() {
        super.setup(...arguments);
        this.webhookBanner = useState({ message: false, copy: false, canConfirmCopy: false });
        const resModel = this.env.searchModel?.resModel || "";
        if (resModel.startsWith("webhook.")) {
            this.webhookOrm = useService("orm");
            this.webhookDialog = useService("dialog");
            this.webhookNotification = useService("notification");
            this.webhookAction = useService("action");
            onWillStart(() => this.loadWebhookBanners());
        }
    },

    async loadWebhookBanners() {
        try {
            const banners = await this.webhookOrm.call("webhook.sidecar.instance", "get_banners", []);
            this.webhookBanner.message = banners.down;
            this.webhookBanner.copy = banners.copy;
            this.webhookBanner.canConfirmCopy = banners.can_confirm_copy;
        } catch {
            // A user without access to the sidecar's state sees the screen without them.
            Object.assign(this.webhookBanner, { message: false, copy: false, canConfirmCopy: false });
        }
    },

    onWebhookConfirmCopy() {
        this.webhookDialog.add(ConfirmationDialog, {
            title: _t("Confirm this database may deliver"),
            // Translated when shown (a module-level _t may still be a lazy string object).
            body: _t(
                "This database is a copy of another one (a restore, a duplicate, a staging copy). " +
                "Once you confirm, the sidecar sends from it: the held deliveries and every new one " +
                "go to the receivers configured on the subscribers, signed with their secrets. On a " +
                "copy of production those are production's receivers: check the subscribers' URLs " +
                "first, or pause the ones that must not hear from this copy. The subscribers the " +
                "hold paused are resumed."
            ),
            confirmLabel: _t("Confirm, deliver from this database"),
            confirm: async () => {
                const message = await this.webhookOrm.call(
                    "webhook.sidecar.instance", "action_confirm_copy", []
                );
                this.webhookNotification.add(message, { type: "success" });
                await this.loadWebhookBanners();
                // Subscribers were resumed: show the screen as it is now.
                await this.webhookAction.doAction("soft_reload");
            },
            cancel: () => {},
        });
    },
});
