from odoo import fields, models
from odoo.exceptions import UserError

from ..services.error_message import join_errors


class EsignSigner(models.Model):
    """Only a signatory of the firm signs or seals for the firm, and only for themselves."""

    _inherit = "esign.signer"

    prepared_by_id = fields.Many2one(related="collection_id.user_id", string="Prepared by")

    def _firm_signatory_error_message(self):
        """Why this signer cannot sign for the firm, in words, or False."""
        self.ensure_one()
        if self.role != "firm":
            return False
        if not self.user_id or not self.user_id.has_group("engagement_letter_esign.group_esign_signatory"):
            return self.env._(
                "%s signs for the firm but is not a signatory of the firm: give them the Signatory right "
                "or choose another firm signer.",
                self.name,
            )
        return False

    def _launch_error_message(self):
        return join_errors(super()._launch_error_message(), self._firm_signatory_error_message())

    def _check_can_act(self):  # pylint: disable=missing-return
        """Checked before any PDF is signed: a refused collaborator costs no signature nor timestamp."""
        super()._check_can_act()
        message = self._firm_signatory_error_message()
        if message:
            raise UserError(message)
        if self.role == "firm" and not self.env.su and self.env.user != self.user_id:
            raise UserError(
                self.env._(
                    "Only %s can sign here: a delegation lets collaborators prepare and launch, never sign.",
                    self.name,
                )
            )
