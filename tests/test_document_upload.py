import base64
import io

from pyhanko.pdf_utils.crypt import StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..services.pdf_inspect import PdfRejected, inspect_pdf
from .common import EsignCase, make_pdf


def _encrypted_pdf():
    """A password-protected PDF, encrypted with pyHanko."""
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_pdf(1))))
    writer._assign_security_handler(StandardSecurityHandler.build_from_pw("secret"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@tagged("post_install", "-at_install")
class TestDocumentUpload(EsignCase):
    def _assert_refused(self, name, data, reason_text):
        collections_before = self.env["esign.collection"].search_count([])
        documents_before = self.env["esign.document"].search_count([])
        with self.assertRaises(UserError) as raised:
            self.make_collection(
                documents=0,
                document_ids=[
                    Command.create({"name": "bonne.pdf", "original_pdf": base64.b64encode(self.pdf)}),
                    Command.create({"name": name, "original_pdf": base64.b64encode(data)}),
                ],
            )
        message = str(raised.exception)
        self.assertIn(f"“{name}”", message, "the message names the file")
        self.assertIn(reason_text, message)
        self.assertEqual(self.env["esign.collection"].search_count([]), collections_before, "nothing created")
        self.assertEqual(self.env["esign.document"].search_count([]), documents_before, "nothing created")

    def test_valid_pdf_keeps_hash_and_page_count(self):
        collection = self.make_collection(documents=1)
        document = collection.document_ids
        self.assertEqual(document.page_count, 2)
        self.assertEqual(document.original_sha256, inspect_pdf(self.pdf, 10**7).sha256)
        self.assertEqual(document.file_size, len(self.pdf))
        added = collection.event_ids.filtered(lambda e: e.event_type == "document_added")
        self.assertEqual(added.document_sha256, document.original_sha256)

    def test_empty_file_refused(self):
        self._assert_refused("vide.pdf", b"", "the file is empty")

    def test_not_a_pdf_refused_whatever_its_name(self):
        self._assert_refused("lettre.pdf", b"PK\x03\x04 this is a Word document in disguise", "it is not a PDF")

    def test_broken_pdf_refused(self):
        broken = self.pdf[: len(self.pdf) // 2]
        self._assert_refused("cassee.pdf", broken, "damaged")

    def test_encrypted_pdf_refused(self):
        self._assert_refused("protegee.pdf", _encrypted_pdf(), "protected by a password")

    def test_too_large_pdf_refused(self):
        self.company.esign_max_pdf_size_mb = 1
        big = make_pdf(1) + b"%" + b"0" * (1024 * 1024)
        self._assert_refused("enorme.pdf", big, "larger than the 1 MB allowed")

    def test_service_reports_reasons_without_odoo(self):
        for data, reason in [
            (b"", "empty"),
            (b"hello", "not_pdf"),
            (b"%PDF-1.7\n garbage", "unreadable"),
            (_encrypted_pdf(), "encrypted"),
        ]:
            with self.subTest(reason=reason), self.assertRaises(PdfRejected) as raised:
                inspect_pdf(data, 10**7)
            self.assertEqual(raised.exception.reason, reason)
        with self.assertRaises(PdfRejected) as raised:
            inspect_pdf(self.pdf, 10)
        self.assertEqual(raised.exception.reason, "too_large")
