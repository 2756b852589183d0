import logging

from odoo import models
from odoo.exceptions import UserError

from ..services.pdf_inspect import sha256_hex

_logger = logging.getLogger(__name__)


class EsignCollection(models.Model):
    """The evidence report: rendered in the firm's language, kept beside the collection, never purged."""

    _inherit = "esign.collection"

    def _evidence_report_filename(self):
        self.ensure_one()
        return f"{self._evidence_report_title()}.pdf"

    def _evidence_report_title(self):
        """The report's name in the firm's language, also its file name: "Rapport de preuve - COL-2026-0001"."""
        self.ensure_one()
        return self.company_id._esign_env()._("Evidence report - %s", self.name.replace("/", "-"))

    def _attach_evidence_report(self):
        """Render the evidence report of each collection and keep it as an attachment of the collection.

        The attachment is not one of the documents' PDF fields, so the purge leaves it.
        """
        report = self.env.ref("engagement_letter_esign.action_report_esign_evidence").sudo()
        for collection in self:
            pdf, _format = report.with_context(force_report_rendering=True)._render_qweb_pdf(
                report.report_name, res_ids=collection.ids
            )
            previous = collection.evidence_report_id
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": collection._evidence_report_filename(),
                        "raw": pdf,
                        "mimetype": "application/pdf",
                        "res_model": collection._name,
                        "res_id": collection.id,
                        "company_id": collection.company_id.id,
                    }
                )
            )
            collection._esign_write({"evidence_report_id": attachment.id, "evidence_report_due": False})
            previous._esign_unlink_attachment()
            collection._log_event(
                "evidence_report",
                document_sha256=sha256_hex(pdf),
                description=attachment.name,
            )
        self.filtered(lambda c: c.state == "done")._notify_origin("evidence_report")
        return True

    def action_generate_evidence_report(self):
        """Rebuild the evidence report on demand (for instance after a refusal or an expiry)."""
        self.check_access("write")
        self._attach_evidence_report()
        return self.action_download_evidence_report()

    def action_download_evidence_report(self):
        self.ensure_one()
        if not self.evidence_report_id:
            raise UserError(self.env._("This collection has no evidence report yet."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.evidence_report_id.id}?download=true",
            "target": "self",
        }
