from odoo import api, fields, models
from odoo.exceptions import UserError

LINE_STATES = [("pending", "To sign"), ("signed", "Signed"), ("skipped", "Not signed")]


class EsignParapheurBatchLine(models.Model):
    """One collection of a parapheur batch: the signatory's signature on all its documents."""

    _name = "esign.parapheur.batch.line"
    _description = "Parapheur batch line"
    _order = "batch_id, id"

    batch_id = fields.Many2one("esign.parapheur.batch", required=True, index=True, ondelete="cascade")
    signer_id = fields.Many2one("esign.signer", required=True, index=True, ondelete="cascade")
    collection_id = fields.Many2one(related="signer_id.collection_id", store=True, string="Collection")
    deadline = fields.Datetime(related="signer_id.collection_id.deadline")
    document_count = fields.Integer(string="Documents", compute="_compute_document_count", store=True)
    state = fields.Selection(LINE_STATES, string="Status", required=True, default="pending", index=True)
    message = fields.Char(string="Why not signed", readonly=True)
    signed_date = fields.Datetime(string="Signed on", readonly=True)

    _sql_constraints = [
        ("signer_once_per_batch", "UNIQUE(batch_id, signer_id)", "A collection appears once in a batch."),
    ]

    @api.depends("signer_id.collection_id.document_ids")
    def _compute_document_count(self):
        for line in self:
            line.document_count = len(line.signer_id.collection_id.document_ids)

    def _sign(self):
        """Sign this line as the batch's signatory; a failure is kept on the line, not raised."""
        self.ensure_one()
        batch = self.batch_id
        signer = self.signer_id.with_user(batch.user_id).with_company(batch.company_id)
        evidence = {
            key: value for key, value in (("ip_address", batch.ip_address), ("user_agent", batch.user_agent)) if value
        }
        try:
            with self.env.cr.savepoint():
                signer.collection_id.sudo()._log_event(
                    "parapheur",
                    signer_id=signer.id,
                    description=self.env._("Signed through the parapheur, batch %s", batch.name),
                    actor_user_id=batch.user_id.id,
                    actor_name=batch.user_id.name,
                    **evidence,
                )
                signer._sign_documents(evidence=evidence)
        except UserError as error:
            self.write({"state": "skipped", "message": str(error.args[0])[:250]})
            return False
        self.write({"state": "signed", "signed_date": fields.Datetime.now()})
        return True
