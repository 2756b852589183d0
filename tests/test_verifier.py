import base64

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..services.pdf_verify import check_pdf_signatures
from .common import EsignCase, as_signer, make_pdf
from .pki import ThrowawayAuthority, sign_pdf


def alter_one_byte(data):
    """Flip one byte inside the first revision, where every signature's digest covers it."""
    position = data.index(b"stream") + 20
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


@tagged("post_install", "-at_install")
class TestPdfSignatureChecks(EsignCase):
    """The checks themselves, on PDFs signed by a throwaway authority."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.authority = ThrowawayAuthority()
        first = sign_pdf(make_pdf(2), cls.authority.signer("Sophie Martin", "sophie@boulangerie.example"), "Client")
        cls.signed = sign_pdf(first, cls.authority.signer("Sylvie Signataire", "sylvie@cabinet.example"), "Cabinet")

    def test_each_signature_reported_in_order(self):
        checks = check_pdf_signatures(self.signed, [self.authority.root])
        self.assertEqual([check.signer_name for check in checks], ["Sophie Martin", "Sylvie Signataire"])
        self.assertEqual(
            [check.signer_email for check in checks], ["sophie@boulangerie.example", "sylvie@cabinet.example"]
        )
        self.assertTrue(all(check.sound for check in checks))
        self.assertEqual(checks[-1].coverage, "entire_file")
        self.assertEqual(checks[0].coverage, "entire_revision", "the first signature allowed the second")

    def test_unknown_authority_is_not_trusted(self):
        checks = check_pdf_signatures(self.signed, [ThrowawayAuthority().root])
        self.assertTrue(all(check.intact and check.valid for check in checks))
        self.assertFalse(any(check.trusted for check in checks))

    def test_one_altered_byte_is_caught(self):
        checks = check_pdf_signatures(alter_one_byte(self.signed), [self.authority.root])
        self.assertTrue(checks)
        self.assertFalse(any(check.intact for check in checks))

    def test_wizard_verdicts(self):
        Verification = self.env["esign.verification"].with_user(self.preparer)
        cases = [
            (make_pdf(1), "invalid", 0, "no electronic signature"),
            (self.signed, "warning", 2, "not issued by a certificate this firm trusts"),
            (alter_one_byte(self.signed), "invalid", 2, "altered"),
        ]
        for data, verdict, count, sentence in cases:
            with self.subTest(verdict=verdict, count=count):
                wizard = Verification.create({"pdf_file": base64.b64encode(data), "pdf_filename": "lettre.pdf"})
                wizard.action_verify()
                self.assertEqual(wizard.state, "done")
                self.assertEqual(wizard.verdict, verdict)
                self.assertEqual(wizard.signature_count, count)
                self.assertIn(sentence, wizard.summary)

    def test_documents_signed_here_are_valid_and_trusted(self):
        collection = self.make_collection()
        collection.action_launch()
        for signer in collection.signer_ids.sorted("signing_order"):
            as_signer(signer)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        signed = collection.document_ids._current_pdf()
        wizard = (
            self.env["esign.verification"]
            .with_user(self.preparer)
            .create({"pdf_file": base64.b64encode(signed), "pdf_filename": "lettre_signee.pdf"})
        )
        wizard.action_verify()
        self.assertEqual(wizard.verdict, "valid", wizard.line_ids.mapped("problem"))
        lines = wizard.line_ids.filtered(lambda line: line.kind != "timestamp")
        self.assertEqual(lines[0].kind, "certification", "the firm certifies the document first")
        names = lines.filtered(lambda line: line.kind == "approval").mapped("signer_name")
        self.assertEqual(names[:2], ["Sophie Martin", "Sylvie Signataire"])
        self.assertIn(self.company.name, names[-1], "the firm's seal comes last")
        self.assertEqual(wizard.known_document_ids, collection.document_ids)
        client = collection.signer_ids.sorted("signing_order")[0]
        self.assertEqual(
            wizard.line_ids.filtered(lambda line: line.signer_name == client.name).certificate_sha256,
            client.certificate_sha256,
        )
        tampered = (
            self.env["esign.verification"]
            .with_user(self.preparer)
            .create({"pdf_file": base64.b64encode(alter_one_byte(signed)), "pdf_filename": "lettre_signee.pdf"})
        )
        tampered.action_verify()
        self.assertEqual(tampered.verdict, "invalid")

    def test_wizard_recognises_a_document_of_the_firm(self):
        collection = self.make_collection()
        wizard = (
            self.env["esign.verification"]
            .with_user(self.preparer)
            .create({"pdf_file": base64.b64encode(self.pdf), "pdf_filename": "lettre.pdf"})
        )
        wizard.action_verify()
        self.assertEqual(wizard.known_document_ids, collection.document_ids)

    def test_wizard_refuses_what_is_not_a_pdf(self):
        Verification = self.env["esign.verification"].with_user(self.preparer)
        for data, message in ((b"PK\x03\x04 not a pdf", "is not a PDF"), (b"%PDF-1.7\ngarbage", "cannot be read")):
            with self.subTest(message=message):
                wizard = Verification.create({"pdf_file": base64.b64encode(data), "pdf_filename": "facture.docx"})
                with self.assertRaisesRegex(UserError, message):
                    wizard.action_verify()
                self.assertEqual(wizard.state, "upload")


@tagged("post_install", "-at_install")
class TestPublicVerifyPage(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        authority = ThrowawayAuthority()
        cls.signed = sign_pdf(make_pdf(1), authority.signer("Sophie Martin", "sophie@boulangerie.example"), "Client")

    def _upload(self, data, filename="lettre.pdf"):
        page = self.url_open("/esign/verify")
        self.assertEqual(page.status_code, 200)
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return self.url_open(
            "/esign/verify",
            data={"csrf_token": token},
            files={"pdf_file": (filename, data, "application/pdf")},
        )

    def test_page_offers_the_upload_and_cannot_be_framed(self):
        page = self.url_open("/esign/verify")
        self.assertEqual(page.status_code, 200)
        self.assertIn('type="file"', page.text)
        self.assertEqual(page.headers.get("X-Frame-Options"), "DENY")

    def test_signed_pdf_shows_its_signer(self):
        response = self._upload(self.signed)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Sophie Martin", response.text)
        self.assertIn("o_esign_verify_verdict alert-warning", response.text)

    def test_altered_pdf_is_reported_invalid(self):
        response = self._upload(alter_one_byte(self.signed))
        self.assertIn("o_esign_verify_verdict alert-danger", response.text)
        self.assertIn("invalid", response.text)

    def test_not_a_pdf_gives_a_message(self):
        response = self._upload(b"hello", "photo.jpg")
        self.assertIn("o_esign_verify_error", response.text)
        self.assertIn("photo.jpg is not a PDF file.", response.text)

    def test_post_without_csrf_token_is_refused(self):
        response = self.url_open(
            "/esign/verify", data={}, files={"pdf_file": ("a.pdf", self.signed, "application/pdf")}
        )
        self.assertEqual(response.status_code, 400)
