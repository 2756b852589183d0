from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class EsignCollection(models.Model):
    """Collections prepared and launched by collaborators on behalf of a chartered accountant."""

    _inherit = "esign.collection"

    on_behalf_of_id = fields.Many2one(
        "res.users",
        string="On behalf of",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("engagement_letter_esign.group_esign_signatory").ids)],
        help="The chartered accountant for whom the collection is prepared; "
        "collaborators act for them through the delegations they gave.",
    )

    def _acts_by_delegation(self):
        """Whether the current user acts for someone else here (not themselves, not a manager)."""
        self.ensure_one()
        return bool(
            self.on_behalf_of_id
            and self.on_behalf_of_id != self.env.user
            and not self.env.su
            and not self.env.user.has_group("engagement_letter_esign.group_esign_manager")
        )

    def _check_delegated(self, right, message):
        for collection in self.filtered(lambda c: c._acts_by_delegation()):
            if not self.env["esign.delegation"]._has_right(collection.on_behalf_of_id, right):
                raise UserError(message % collection.on_behalf_of_id.name)

    def _log_delegated(self, action_label, on_behalf=False):
        """Who acted for whom: in the proof journal and on the chatter."""
        for collection in self if on_behalf else self.filtered(lambda c: c._acts_by_delegation()):
            description = self.env._(
                "%(action)s by %(user)s on behalf of %(accountant)s",
                action=action_label,
                user=self.env.user.name,
                accountant=collection.on_behalf_of_id.name,
            )
            collection._log_event("delegated", description=description)
            collection.message_post(body=Markup("<p>%s</p>") % description, subtype_xmlid="mail.mt_note")

    @api.model_create_multi
    def create(self, vals_list):
        collections = super().create(vals_list)
        collections._check_delegated(
            "can_prepare", self.env._("%s has not given you the right to prepare collections on their behalf.")
        )
        collections._log_delegated(self.env._("Prepared"))
        return collections

    def write(self, vals):
        result = super().write(vals)
        if "on_behalf_of_id" in vals:
            self._check_delegated(
                "can_prepare", self.env._("%s has not given you the right to prepare collections on their behalf.")
            )
            self._log_delegated(self.env._("Prepared"))
        return result

    def action_launch(self):
        self._check_delegated(
            "can_launch", self.env._("%s has not given you the right to launch collections on their behalf.")
        )
        delegated = self.filtered(lambda c: c._acts_by_delegation())
        if delegated:
            # The launch right was checked above; the collaborator may not be allowed to edit the collection.
            delegated_sudo = delegated.sudo()
            super(EsignCollection, delegated_sudo).action_launch()
            delegated_sudo._log_delegated(self.env._("Launched"), on_behalf=True)
        return super(EsignCollection, self - delegated).action_launch() if self - delegated else True
