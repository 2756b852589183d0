from odoo import api, models
from odoo.exceptions import AccessError

from .esign_workflow_guard import in_workflow_call, workflow_call

PROOF_MODELS = ("esign.document", "esign.collection", "engagement.letter")


class IrAttachment(models.Model):
    """The files of the proof (documents' PDFs, evidence reports, the copies kept on letters) change
    through the workflow only.

    A user who may write a collection or a letter may write its attachments in Odoo: without this,
    the signed PDF or the evidence report could be replaced through ``ir.attachment`` directly.
    """

    _inherit = "ir.attachment"

    def _esign_proof_files(self):
        """The attachments of self that hold a launched document's PDF, an evidence report or a copy
        of them kept on an engagement letter."""
        candidates = self.sudo().filtered(lambda a: a.res_model in PROOF_MODELS and a.res_id)
        if not candidates:
            return self.browse()
        documents = (
            self.env["esign.document"]
            .sudo()
            .browse(candidates.filtered(lambda a: a.res_model == "esign.document").mapped("res_id"))
            .exists()
        )
        launched = set(documents.filtered(lambda d: d.collection_id.state not in ("draft", "ready")).ids)
        kept = self._esign_kept_copies(candidates)
        return candidates.filtered(lambda a: (a.res_model == "esign.document" and a.res_id in launched) or a.id in kept)

    def _esign_kept_copies(self, candidates):
        """Evidence reports of collections, and the signed letter and report copies kept on letters."""
        collections = self.env["esign.collection"].sudo().search([("evidence_report_id", "in", candidates.ids)])
        letters = (
            self.env["engagement.letter"]
            .sudo()
            .search(["|", ("signed_attachment_id", "in", candidates.ids), ("evidence_report_id", "in", candidates.ids)])
        )
        return set((collections.evidence_report_id | letters.signed_attachment_id | letters.evidence_report_id).ids)

    def _esign_refuse_proof_files(self):
        if not in_workflow_call() and self._esign_proof_files():
            raise AccessError(
                self.env._(
                    "The files of a signature's proof cannot be changed or deleted, not even by an administrator."
                )
            )

    def _esign_unlink_attachment(self):
        """Delete proof files: the purge after the retention, or an evidence report made anew."""
        return workflow_call(self._name, self.sudo().unlink)

    @api.model_create_multi
    def create(self, vals_list):
        if not in_workflow_call():
            for vals in vals_list:
                if vals.get("res_model") == "esign.document" and vals.get("res_field"):
                    raise AccessError(self.env._("The PDF of a collection document is stored by the workflow only."))
        return super().create(vals_list)

    def write(self, vals):
        self._esign_refuse_proof_files()
        if not in_workflow_call() and vals.get("res_model") == "esign.document" and vals.get("res_field", True):
            raise AccessError(self.env._("The PDF of a collection document is stored by the workflow only."))
        return super().write(vals)

    def unlink(self):
        self._esign_refuse_proof_files()
        return super().unlink()
