from odoo import fields, models
from odoo.exceptions import UserError


class EsignSigner(models.Model):
    """Only a signatory of the firm signs or seals for the firm, and only for themselves."""

    _inherit = "esign.signer"

    prepared_by_id = fields.Many2one(related="collection_id.user_id", string="Prepared by")

    def _firm_signatory_problem(self):
        self.ensure_one()
        if self.role != "firm":
            return None
        if not self.user_id or not self.user_id.has_group("engagement_letter_esign.group_esign_signatory"):
            return self.env._(
                "%s signs for the firm but is not a signatory of the firm: give them the Signatory right "
                "or choose another firm signer.",
                self.name,
            )
        return None

    def _launch_problems(self):
        problems = super()._launch_problems()
        problem = self._firm_signatory_problem()
        if problem:
            problems.append(problem)
        return problems

    def _check_can_act(self):  # pylint: disable=missing-return
        """Checked before any PDF is signed: a refused collaborator costs no signature nor timestamp."""
        super()._check_can_act()
        problem = self._firm_signatory_problem()
        if problem:
            raise UserError(problem)
        if self.role == "firm" and not self.env.su and self.env.user != self.user_id:
            raise UserError(
                self.env._(
                    "Only %s can sign here: a delegation lets collaborators prepare and launch, never sign.",
                    self.name,
                )
            )
