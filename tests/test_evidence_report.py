import base64
import subprocess

from odoo.tests import freeze_time, tagged

from .common import EsignCase


def pdf_text(data):
    """The text a reader sees in a PDF, through poppler's pdftotext."""
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@tagged("post_install", "-at_install")
class TestEvidenceReport(EsignCase):
    def _done_collection(self):
        collection = self.make_collection()
        with freeze_time("2026-03-01 09:00:00"):
            collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        with freeze_time("2026-03-02 10:00:00"):
            client._sign_checked(evidence={"ip_address": "203.0.113.7", "user_agent": "Firefox/140 test"})
            firm.with_user(self.signatory)._sign_checked(
                evidence={"ip_address": "198.51.100.9", "user_agent": "Chrome/150 test"}
            )
            self.env["esign.collection"]._cron_seal()
        self.assertTrue(collection.evidence_report_due, "queued, not made in the last signer's request")
        self.assertFalse(collection.evidence_report_id)
        self.assertEqual(self.env["esign.collection"]._cron_evidence_reports(), 1)
        self.assertFalse(collection.evidence_report_due)
        self.assertEqual(self.env["esign.collection"]._cron_evidence_reports(), 0, "made once")
        return collection

    def test_report_made_at_completion_with_every_proof(self):
        collection = self._done_collection()
        self.assertEqual(collection.state, "done")
        report = collection.evidence_report_id
        self.assertTrue(report, "the evidence report is attached once the collection is done")
        self.assertEqual(report.res_model, "esign.collection")
        self.assertEqual(report.res_id, collection.id)
        data = base64.b64decode(report.datas)
        self.assertTrue(data.startswith(b"%PDF-"), "a real PDF, not HTML")
        text = pdf_text(data)
        for expected in (
            collection.name,
            "Sophie Martin",
            "sophie@boulangerie.example",
            "+33 6•• •• •• 78",
            "Sylvie Signataire",
            "203.0.113.7",
            "Firefox/140 test",
            "198.51.100.9",
            collection.document_ids.original_sha256,
        ):
            self.assertIn(expected, text.replace("\n", " "))
        for signer in collection.signer_ids:
            self.assertIn(signer.certificate_sha256, text.replace("\n", "").replace(" ", ""))
        self.assertNotIn("06 12 34 56 78", text, "the mobile is masked")
        self.assertNotIn("612345678", text, "the mobile is masked")
        last_before_report = collection.event_ids.filtered(lambda e: e.event_type != "evidence_report")[-1]
        self.assertIn(last_before_report.hash[:32], text.replace("\n", ""), "the head of the chain is printed")
        self.assertEqual(collection.event_ids[-1].event_type, "evidence_report", "making it is itself an event")
        self.assertFalse(collection._verify_event_chain())

    def test_report_survives_the_purge(self):
        collection = self._done_collection()
        report = collection.evidence_report_id
        with freeze_time("2026-04-15 10:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_purge(), 1)
        self.assertEqual(collection.state, "purged")
        self.assertFalse(collection.document_ids.original_pdf, "the documents are gone")
        self.assertTrue(report.exists(), "the evidence report is kept")
        self.assertTrue(base64.b64decode(report.datas).startswith(b"%PDF-"))

    def test_report_on_demand_for_a_refused_collection(self):
        collection = self.make_collection()
        collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        client._action_refuse("Les honoraires ne correspondent pas au devis")
        self.assertFalse(collection.evidence_report_id, "only completion makes it on its own")
        action = collection.with_user(self.preparer).action_generate_evidence_report()
        self.assertTrue(collection.evidence_report_id)
        self.assertIn(f"/web/content/{collection.evidence_report_id.id}", action["url"])
        text = pdf_text(base64.b64decode(collection.evidence_report_id.datas))
        self.assertIn("Les honoraires ne correspondent pas au devis", text.replace("\n", " "))

    def test_mobile_masked_for_every_country(self):
        collection = self.make_collection(signers=[(self.client_fr, 1), (self.client_be, 1), (self.client_ch, 2)])
        self.assertEqual(
            collection.signer_ids.sorted("id").mapped("mobile_masked"),
            ["+33 6•• •• •• 78", "+32 4•• •• •• 56", "+41 7• ••• •• 67"],
        )
