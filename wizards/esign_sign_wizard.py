from odoo import api, fields, models
from odoo.exceptions import UserError


class EsignSignWizard(models.TransientModel):
    """The firm's signatory signs from the back office: SMS code, drawn signature, terms."""

    _name = "esign.sign.wizard"
    _description = "Sign a collection from the back office"

    signer_id = fields.Many2one("esign.signer", required=True, ondelete="cascade", readonly=True)
    collection_id = fields.Many2one(related="signer_id.collection_id")
    masked_mobile = fields.Char(related="signer_id.mobile_masked")
    code_sent = fields.Boolean(readonly=True)
    signature = fields.Binary(string="Your signature")
    accepted = fields.Boolean(string="I accept the terms of use and the personal data policy")
    terms_text = fields.Text(compute="_compute_terms_texts")
    privacy_text = fields.Text(compute="_compute_terms_texts")
    code = fields.Char(string="Code received by SMS", size=6)
    message = fields.Char(readonly=True)
    error = fields.Char(readonly=True)

    @api.depends("signer_id")
    def _compute_terms_texts(self):
        for wizard in self:
            wizard.terms_text, wizard.privacy_text = wizard.signer_id.company_id._esign_terms_texts()

    def _signer_sudo(self):
        """The wizard's signer, once checked to be the current user's own line."""
        self.ensure_one()
        signer = self.signer_id
        if signer.partner_id != self.env.user.partner_id:
            raise UserError(self.env._("You can only sign for yourself."))
        return signer.sudo()

    def _reopen(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sign %s", self.collection_id.subject),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_send_code(self):
        """Errors are shown in the wizard, not raised: the attempt and its proof event are kept."""
        result = self._signer_sudo()._request_signing_code()
        if result.get("error"):
            self.write({"error": result["error"], "message": False})
        else:
            self.write(
                {
                    "code_sent": True,
                    "error": False,
                    "message": self.env._("A code was sent by SMS to %s.", result["masked"]),
                }
            )
        return self._reopen()

    def action_sign(self):
        signer_sudo = self._signer_sudo()
        result = signer_sudo._sign_with_code(self.code, self.signature, self.accepted)
        if result.get("error"):
            self.write({"error": result["error"], "message": False})
            return self._reopen()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("You signed %s.", self.collection_id.subject),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
