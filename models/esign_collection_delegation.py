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

    @api.model
    def _acts_for(self, accountant):
        """Whether the current user acts for ``accountant`` (not themselves, not a manager)."""
        return bool(
            accountant
            and accountant != self.env.user
            and not self.env.su
            and not self.env.user.has_group("engagement_letter_esign.group_esign_manager")
        )

    def _acts_by_delegation(self):
        self.ensure_one()
        return self._acts_for(self.on_behalf_of_id)

    @api.model
    def _delegation_error_message(self, accountants, right):
        """Why the current user may not use ``right`` (``can_prepare``, ``can_launch``) for one of
        ``accountants``, in words, or False."""
        for accountant in accountants:
            if self._acts_for(accountant) and not self.env["esign.delegation"]._has_right(accountant, right):
                if right == "can_launch":
                    return self.env._(
                        "%s has not given you the right to launch collections on their behalf.", accountant.name
                    )
                return self.env._(
                    "%s has not given you the right to prepare collections on their behalf.", accountant.name
                )
        return False

    def _check_delegation(self, accountants, right):
        message = self._delegation_error_message(accountants, right)
        if message:
            raise UserError(message)

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
        # Checked before creating, so that the user reads why rather than an access error on a document.
        accountants = self.env["res.users"].browse(
            {vals["on_behalf_of_id"] for vals in vals_list if vals.get("on_behalf_of_id")}
        )
        self._check_delegation(accountants, "can_prepare")
        collections = super().create(vals_list)
        collections._log_delegated(self.env._("Prepared"))
        return collections

    def write(self, vals):
        if vals.get("on_behalf_of_id"):
            self._check_delegation(self.env["res.users"].browse(vals["on_behalf_of_id"]), "can_prepare")
        result = super().write(vals)
        if "on_behalf_of_id" in vals:
            self._log_delegated(self.env._("Prepared"))
        return result

    def action_launch(self):
        self._check_delegation(self.on_behalf_of_id, "can_launch")
        delegated = self.filtered(lambda c: c._acts_by_delegation())
        if delegated:
            # The launch right was checked above; the collaborator may not be allowed to edit the collection.
            delegated_sudo = delegated.sudo()
            super(EsignCollection, delegated_sudo).action_launch()
            delegated_sudo._log_delegated(self.env._("Launched"), on_behalf=True)
        return super(EsignCollection, self - delegated).action_launch() if self - delegated else True
