from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

LINE_STATES = [("pending", "To sign"), ("signed", "Signed"), ("skipped", "Not signed")]


class EsignParapheurBatchLine(models.Model):
    """One collection of a parapheur batch: the signatory's signature on all its documents.

    Made by the parapheur only (``esign.parapheur.batch._create_from_signers``), never changed from outside.
    """

    _name = "esign.parapheur.batch.line"
    _description = "Parapheur batch line"
    _order = "batch_id, id"
    _allow_sudo_commands = False
    _inherit = ["esign.workflow.guard", "esign.claim.mixin"]
    _esign_workflow_fields = (
        "batch_id",
        "signer_id",
        "collection_id",
        "document_count",
        "state",
        "message",
        "signed_date",
    )

    batch_id = fields.Many2one("esign.parapheur.batch", required=True, index=True, ondelete="cascade", readonly=True)
    signer_id = fields.Many2one("esign.signer", required=True, index=True, ondelete="cascade", readonly=True)
    collection_id = fields.Many2one(related="signer_id.collection_id", store=True, string="Collection")
    deadline = fields.Datetime(related="signer_id.collection_id.deadline")
    document_count = fields.Integer(string="Documents", compute="_compute_document_count", store=True)
    state = fields.Selection(LINE_STATES, string="Status", required=True, default="pending", index=True, readonly=True)
    message = fields.Char(string="Why not signed", readonly=True)
    signed_date = fields.Datetime(string="Signed on", readonly=True)

    _sql_constraints = [
        ("signer_once_per_batch", "UNIQUE(batch_id, signer_id)", "A collection appears once in a batch."),
    ]

    @api.depends("signer_id.collection_id.document_ids")
    def _compute_document_count(self):
        for line in self:
            line.document_count = len(line.signer_id.collection_id.document_ids)

    @api.model_create_multi
    def create(self, vals_list):
        if not self._esign_in_workflow():
            raise AccessError(
                self.env._("A parapheur batch is made by the parapheur only: select there the documents to sign.")
            )
        return super().create(vals_list)

    def _sign_error_message(self):
        """Why this line cannot be signed now (not its batch owner's own turn), in words, or False."""
        self.ensure_one()
        batch, signer = self.sudo().batch_id, self.sudo().signer_id
        if signer.user_id != batch.user_id or signer.role != "firm" or signer.company_id != batch.company_id:
            return self.env._(
                "%(collection)s does not wait for the signature of %(name)s.",
                collection=signer.collection_id.name,
                name=batch.user_id.name,
            )
        try:
            signer._check_can_act()
        except UserError as error:
            return error.args[0]
        return False

    def _sign(self):
        """Sign this line as the batch's signatory; a failure is kept on the line, not raised."""
        self.ensure_one()
        batch = self.batch_id
        message = self._sign_error_message()
        if message:
            self._esign_write({"state": "skipped", "message": str(message)[:250]})
            return False
        signer = self.signer_id.with_user(batch.user_id).with_company(batch.company_id)
        evidence = {
            key: value for key, value in (("ip_address", batch.ip_address), ("user_agent", batch.user_agent)) if value
        }
        try:
            with self.env.cr.savepoint():
                signer.collection_id.sudo()._log_event(
                    "parapheur",
                    signer_id=signer.id,
                    description=batch.company_id._esign_env()._("Signed through the parapheur, batch %s", batch.name),
                    actor_user_id=batch.user_id.id,
                    actor_name=batch.user_id.name,
                    **evidence,
                )
                signer._sign_checked(evidence=evidence)
        except UserError as error:
            self._esign_write({"state": "skipped", "message": str(error.args[0])[:250]})
            return False
        self._esign_write({"state": "signed", "signed_date": fields.Datetime.now()})
        return True
