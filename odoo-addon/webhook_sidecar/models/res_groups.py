from odoo import Command, api, models

CATEGORY = "webhook_sidecar.module_category_webhooks"
PRIVILEGE = "webhook_sidecar.res_groups_privilege_webhooks"
GROUPS = ("webhook_sidecar.group_webhook_user", "webhook_sidecar.group_webhook_manager")
MANAGER = "webhook_sidecar.group_webhook_manager"
ADMINISTRATORS = ("base.user_root", "base.user_admin")


class ResGroups(models.Model):
    _inherit = "res.groups"

    @api.model
    def _webhook_sidecar_file_groups(self):
        """File the addon's groups under "Webhooks" in the user form and make the
        administrators webhook managers; called by security/webhook_security.xml at every
        install and update.

        Odoo 18 files a group by its category (``res.groups.category_id``); Odoo 19 has no such
        field and files it by a privilege (``res.groups.privilege``) that has the category, and
        renamed ``users`` to ``user_ids``. A data file naming either field installs on one
        series only, so one source decides here by the fields that exist.
        """
        category = self.env.ref(CATEGORY)
        groups = self.browse([self.env.ref(xml_id).id for xml_id in GROUPS])
        if "privilege_id" in self._fields:
            privilege = self.env["res.groups.privilege"]._load_records(
                [
                    {
                        "xml_id": PRIVILEGE,
                        "values": {"name": "Webhooks", "category_id": category.id, "sequence": 60},
                        "noupdate": False,
                    }
                ],
                update=True,
            )
            groups.write({"privilege_id": privilege.id})
        else:
            groups.write({"category_id": category.id})
        users_field = "user_ids" if "user_ids" in self._fields else "users"
        administrators = [self.env.ref(xml_id, raise_if_not_found=False) for xml_id in ADMINISTRATORS]
        self.env.ref(MANAGER).write(
            {users_field: [Command.link(user.id) for user in administrators if user]}
        )
