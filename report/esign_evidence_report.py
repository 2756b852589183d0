from odoo import api, models

from ..services.pades_level import pades_level
from ..services.pdf_verify import PdfUnreadable, check_pdf_signatures


class ReportEsignEvidence(models.AbstractModel):
    """What the evidence report shows of each collection, read from its final PDFs as an outside
    validator would: the signatures found and checked, the PAdES level reached, the journal's state."""

    _name = "report.engagement_letter_esign.report_esign_evidence"
    _description = "Evidence report of a signature collection"

    @api.model
    def _get_report_values(self, docids, data=None):
        collections = self.env["esign.collection"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "esign.collection",
            "docs": collections,
            "evidence": {collection.id: self._collection_evidence(collection) for collection in collections},
        }

    @api.model
    def _collection_evidence(self, collection):
        """{"signatures": {document id: [SignatureCheck]}, "levels": {document id: (level, [what the
        next level lacks])}, "altered": the first altered event of the journal, if any}; each final
        PDF is read once, the explanations in the firm's language like the rest of the report."""
        collection = collection.with_context(lang=collection.company_id._esign_lang())
        roots = collection.company_id._esign_verification_roots()
        signatures, levels = {}, {}
        for document in collection.document_ids:
            data = document._current_pdf()
            if not data:
                signatures[document.id] = []
                continue
            try:
                signatures[document.id] = check_pdf_signatures(data, roots)
            except PdfUnreadable:
                signatures[document.id] = []
            try:
                report = pades_level(data)
            except (ValueError, KeyError, TypeError):
                continue
            levels[document.id] = (report.level or collection.env._("none"), document._esign_level_explanation(report))
        return {"signatures": signatures, "levels": levels, "altered": collection._verify_event_chain()}
