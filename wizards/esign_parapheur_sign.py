from odoo import api, fields, models
from odoo.exceptions import UserError


class EsignParapheurSign(models.TransientModel):
    """The two steps of signing a selection from the parapheur: receive the code, enter it."""

    _name = "esign.parapheur.sign"
    _description = "Sign from the parapheur"

    signer_ids = fields.Many2many("esign.signer", string="Selection", readonly=True)
    batch_id = fields.Many2one("esign.parapheur.batch", readonly=True)
    step = fields.Selection([("confirm", "Confirm"), ("code", "Code")], default="confirm", required=True)
    collection_count = fields.Integer(compute="_compute_counts")
    document_count = fields.Integer(compute="_compute_counts")
    mobile_masked = fields.Char(related="batch_id.mobile_masked")
    code = fields.Char(string="Code received by SMS", size=6)
    error = fields.Char(readonly=True)

    @api.depends("signer_ids")
    def _compute_counts(self):
        for wizard in self:
            wizard.collection_count = len(wizard.signer_ids)
            wizard.document_count = len(wizard.signer_ids.collection_id.document_ids)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "esign.signer" and "signer_ids" in fields_list:
            values["signer_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Sign from the parapheur"),
        }

    def action_send_code(self):
        """Errors are shown in the wizard, not raised: the attempt and its proof event are kept."""
        self.ensure_one()
        request_values = self.env["esign.event"]._request_context()
        if not self.batch_id:
            # Every selected line, readable or not: a line the user may not read is refused, not dropped.
            selection = self.sudo().signer_ids.with_env(self.env)
            self.batch_id = self.env["esign.parapheur.batch"]._create_from_signers(selection)
        message = self.batch_id._send_code(**request_values)
        if message:
            self.write({"error": message, "code": False})
            return self._reopen()
        self.write({"step": "code", "error": False, "code": False})
        return self._reopen()

    def action_sign(self):
        self.ensure_one()
        if not self.batch_id:
            raise UserError(self.env._("Ask for the code first: it is sent by SMS to your mobile."))
        request_values = self.env["esign.event"]._request_context()
        message = self.batch_id._confirm(self.code, **request_values)
        if message:
            self.write({"error": message, "code": False})
            return self._reopen()
        return self.batch_id.action_open()
