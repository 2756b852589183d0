"""Where the stamps land on real PDFs and on the firm's own letter, read back from the signed files."""

import base64
import io
import os
import re
import subprocess
from datetime import datetime
from pathlib import Path

from freezegun import freeze_time
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTTextLine
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..services import pades, stamp_appearance, stamp_layout
from .common import as_signer, load_french, make_png
from .test_engagement_letter import EngagementLetterCase

LIBTASN1 = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")
SHARED_MIME = Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")
TAG = re.compile(r"^\s*\{\{\s*signature\s*:[^}]*\}\}\s*$")


def _walk_lines(container):
    for item in container:
        if isinstance(item, LTTextLine):
            yield item
        elif hasattr(item, "__iter__"):
            yield from _walk_lines(item)


def text_lines(data):
    """Per page (from 0), the (text, (x0, y0, x1, y1)) of every visible line of the page's content,
    read with pdfminer (annotations, thus stamps, are not page content); invisible tags left out."""
    pages = {}
    for index, page in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams(all_texts=True))):
        pages[index] = [
            (" ".join(line.get_text().split()), line.bbox)
            for line in _walk_lines(page)
            if line.get_text().strip() and not TAG.match(line.get_text())
        ]
    return pages


def widgets(data):
    """{field name: (page index, (x0, y0, x1, y1), page media box)} of every signature widget."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    found = {}
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        media = tuple(float(v) for v in page["/MediaBox"])
        annotations = page.get("/Annots")
        annotations = annotations.get_object() if annotations is not None else ()
        for ref in annotations:
            annotation = ref.get_object()
            if annotation.get("/Subtype") != "/Widget":
                continue
            field = annotation if "/T" in annotation else annotation["/Parent"].get_object()
            rect = tuple(float(v) for v in annotation["/Rect"])
            if rect[2] - rect[0] > 0:
                found[str(field["/T"])] = (index, rect, media)
    return found


def overlap(first, second):
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]


def pdf_text(data, page=None):
    pages = ["-f", str(page + 1), "-l", str(page + 1)] if page is not None else []
    return subprocess.run(["pdftotext", *pages, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def page_count(data):
    return int(PdfFileReader(io.BytesIO(data), strict=False).root["/Pages"]["/Count"])


def tagged_pdf(white=True):
    """A two-page contract whose second page marks the signature places with tags in white text."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for line in range(40):
        pdf.drawString(72, 780 - line * 18, f"Article {line + 1} : les parties conviennent de ce qui suit.")
    pdf.showPage()
    pdf.drawString(72, 780, "Fait à Paris, en deux exemplaires.")
    for x, y, label, tag in (
        (72, 720, "Le client", "client"),
        (320, 720, "Le cabinet", "firm"),
        (320, 600, "Le cachet", "seal"),
    ):
        pdf.setFillColorRGB(0, 0, 0)
        pdf.drawString(x, y, label)
        if white:
            pdf.setFillColorRGB(1, 1, 1)
        pdf.setFontSize(6)
        pdf.drawString(x, y - 10, "{{signature:" + tag + "}}")
        pdf.setFontSize(12)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawString(72, 480, "Annexe : conditions générales, page suivante.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestStampPlacement(EngagementLetterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)
        cls.client_fr.lang = "fr_FR"
        cls.client_company.lang = "fr_FR"
        cls.company.partner_id.lang = "fr_FR"
        cls.signatory.partner_id.lang = "fr_FR"
        cls.preparer.lang = "fr_FR"

    def _run(self, collection):
        """Launched by a French preparer, every signer signs with a drawing, then the seal runs in a
        cron speaking English."""
        collection.with_context(lang="fr_FR").action_launch()
        for signer in collection.signer_ids.sorted("signing_order"):
            as_signer(signer)._sign_checked(signature_image=make_png())
        self.env["esign.collection"].with_context(lang="en_US")._cron_seal()
        self.assertEqual(collection.state, "done")
        data = base64.b64decode(collection.document_ids.signed_pdf)
        self._keep(collection.document_ids.name, data)
        return data

    def _keep(self, name, data):
        """With ESIGN_STAMPS_DIR set, keep the signed file to look at (pdftoppm -r 70 -png)."""
        folder = os.environ.get("ESIGN_STAMPS_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_bytes(data)

    def assert_stamps_clear(self, data, collection):
        """Every stamp inside its page, over no line of the page's text nor another stamp."""
        lines = text_lines(data)
        found = widgets(data)
        names = [s._esign_field_name() for s in collection.signer_ids] + [pades.SEAL_FIELD]
        self.assertEqual(sorted(n for n in found if n in names), sorted(names), "one stamp per signer and the seal")
        for name in names:
            page, rect, media = found[name]
            self.assertTrue(
                media[0] <= rect[0] and media[1] <= rect[1] and rect[2] <= media[2] and rect[3] <= media[3],
                f"{name} {rect} lies inside page {page + 1} {media}",
            )
            for text, box in lines[page]:
                self.assertFalse(overlap(rect, box), f"{name} {rect} covers “{text}” {box} on page {page + 1}")
            for other in names:
                if other != name and found[other][0] == page:
                    self.assertFalse(overlap(rect, found[other][1]), f"{name} and {other} overlap")
        return found

    def assert_french_stamps(self, data, page, collection):
        text = pdf_text(data, page)
        self.assertIn("Signé électroniquement par", text)
        self.assertIn("Sophie Martin", text)
        self.assertIn("Scellé par", text, "the seal speaks the firm's language, whatever the cron's")
        self.assertNotIn("Sealed by", text)
        self.assertNotIn("Electronically signed", text)
        self.assertNotRegex(text, r"\d\d:\d\d:\d\d", "no seconds")
        self.assertNotIn("UTC", text)

    def test_real_pdfs_get_a_signature_page(self):
        for path in (LIBTASN1, SHARED_MIME):
            with self.subTest(pdf=path.name):
                original = path.read_bytes()
                collection = self.make_collection_of(original, name=f"signed-{path.name}")
                self.assertEqual(collection.document_ids.stamp_placement, "anchor", "the default of an upload")
                data = self._run(collection)
                self.assertEqual(page_count(data), page_count(original) + 1, "a signature page was appended")
                found = self.assert_stamps_clear(data, collection)
                self.assertEqual({page for page, _rect, _media in found.values()}, {page_count(original)})
                appended = pdf_text(data, page_count(original))
                self.assertIn("Page de signatures", appended)
                self.assertIn("1. Sophie Martin, Client", appended)
                self.assertIn("2. Sylvie Signataire, Cabinet", appended)
                self.assertIn(f"Cachet de {self.company.name}", appended)
                self.assert_french_stamps(data, page_count(original), collection)
                self.assertIn(
                    "page de signatures ajoutée",
                    " ".join(collection.message_ids.mapped("body")),
                    "the preparer is told why on the chatter",
                )

    def test_engagement_letter_stamps_under_its_signature_blocks(self):
        letter = self.make_letter()
        letter.with_context(force_report_rendering=True, lang="fr_FR").action_edit()
        original = base64.b64decode(letter.pdf)
        collection = self.make_collection_of(original, name="lettre-de-mission.pdf")
        data = self._run(collection)
        self.assertEqual(page_count(data), page_count(original), "the letter's own blocks take the stamps")
        found = self.assert_stamps_clear(data, collection)
        client, firm = collection.signer_ids.sorted("signing_order")
        lines = text_lines(data)
        for signer, anchor in ((client, "Pour le client"), (firm, "Pour le cabinet")):
            page, rect, _media = found[signer._esign_field_name()]
            anchors = [box for text, box in lines[page] if text.startswith(anchor)]
            self.assertTrue(anchors, f"“{anchor}” is on the stamp's page")
            below = anchors[-1][1] - rect[3]
            self.assertTrue(0 <= below <= 40, f"{signer.name}'s stamp {rect} right under “{anchor}” {anchors[-1]}")
            self.assertLess(abs(rect[0] - anchors[-1][0]), 20, "aligned with its block")
        seal_page, seal, _media = found[pades.SEAL_FIELD]
        firm_page, firm_rect, _media = found[firm._esign_field_name()]
        self.assertEqual(seal_page, firm_page)
        self.assertLess(seal[3], firm_rect[1], "the seal under the firm's stamp")
        self.assert_french_stamps(data, firm_page, collection)

    def test_tags_mark_the_places(self):
        collection = self.make_collection_of(tagged_pdf(), name="contrat-balises.pdf")
        data = self._run(collection)
        self.assertEqual(page_count(data), 2, "no signature page")
        found = self.assert_stamps_clear(data, collection)
        client, firm = collection.signer_ids.sorted("signing_order")
        for field, (x, y) in (
            (client._esign_field_name(), (72, 710)),
            (firm._esign_field_name(), (320, 710)),
            (pades.SEAL_FIELD, (320, 590)),
        ):
            page, rect, _media = found[field]
            self.assertEqual(page, 1)
            self.assertAlmostEqual(rect[0], x, delta=2, msg=f"{field} starts at its tag")
            self.assertAlmostEqual(rect[3], y + 6, delta=4, msg=f"{field} hangs from its tag")
        self.assert_french_stamps(data, 1, collection)

    def test_a_place_on_a_page(self):
        collection = self.make_collection_of(
            tagged_pdf(white=False), stamp_placement="page", stamp_page=2, stamp_x=72, stamp_y=200
        )
        data = self._run(collection)
        self.assertEqual(page_count(data), 2)
        found = self.assert_stamps_clear(data, collection)
        client = collection.signer_ids.sorted("signing_order")[0]
        self.assertEqual(found[client._esign_field_name()][0], 1)
        self.assertEqual(found[client._esign_field_name()][1][:2], (72.0, 200.0))

    def test_a_place_over_text_falls_back_to_the_signature_page(self):
        original = LIBTASN1.read_bytes()
        collection = self.make_collection_of(original, stamp_placement="page", stamp_page=3, stamp_x=90, stamp_y=400)
        data = self._run(collection)
        self.assertEqual(page_count(data), page_count(original) + 1)
        self.assert_stamps_clear(data, collection)
        self.assertIn("auraient couvert son texte", " ".join(collection.message_ids.mapped("body")))

    def test_a_place_that_cannot_be(self):
        collection = self.make_collection_of(tagged_pdf())
        document = collection.document_ids
        with self.assertRaisesRegex(ValidationError, "page 9"):
            document.write({"stamp_placement": "page", "stamp_page": 9})
        with self.assertRaisesRegex(ValidationError, "hors de la page|outside page"):
            document.with_context(lang="fr_FR").write(
                {"stamp_placement": "page", "stamp_page": 1, "stamp_x": 500, "stamp_y": 10}
            )
        document.write({"stamp_placement": "appended"})
        self.assertFalse(collection._launch_error_message())
        collection.action_launch()
        with self.assertRaises(UserError):
            document.write({"stamp_placement": "anchor"})

    def test_unreadable_placement_is_a_launch_problem(self):
        collection = self.make_collection_of(tagged_pdf())
        self.patch(type(self.env["esign.document"]), "_current_pdf", lambda self: b"%PDF-1.4 broken")
        message = collection.with_context(lang="fr_FR")._launch_error_message()
        self.assertIn("contrat.pdf", message)

    def test_launch_lays_out_the_stamps_once(self):
        """The launch check lays out the stamps (about 1 s for a long PDF); the certification that
        follows uses that layout instead of computing it again."""
        collection = self.make_collection_of(tagged_pdf())
        collection.document_ids = [
            Command.create({"name": "annexe.pdf", "original_pdf": base64.b64encode(tagged_pdf())})
        ]
        Document = type(self.env["esign.document"])
        original = Document._esign_compute_layout
        laid_out = []

        def counting(document):
            laid_out.append(document.name)
            return original(document)

        self.patch(Document, "_esign_compute_layout", counting)
        collection.action_launch()
        self.assertEqual(sorted(laid_out), ["annexe.pdf", "contrat.pdf"], "each document laid out once")
        for document in collection.document_ids:
            self.assertTrue(document.stamp_layout, "the layout of the check is the one kept")
            self.assertTrue(document.signed_pdf, "and the one the document was certified with")

    def test_stamp_texts_in_the_readers_language_and_the_firms_time(self):
        collection = self.make_collection_of(tagged_pdf())
        client = collection.signer_ids.sorted("signing_order")[0]
        moment = datetime(2026, 12, 2, 9, 42, 31)
        self.assertEqual(
            client.with_context(lang="en_US")._esign_stamp_text(moment),
            "Signé électroniquement par\nSophie Martin\nle 02/12/2026 à 10:42",
        )
        with freeze_time("2026-07-01 08:05:00"):
            self.assertEqual(
                collection.with_context(lang="en_US")._esign_seal_stamp_text(),
                f"Scellé par\n{self.company.name}\nle 01/07/2026 à 10:05",
            )
        self.company.partner_id.lang = "en_US"
        self.company.partner_id.tz = "America/New_York"
        with freeze_time("2026-07-01 08:05:00"):
            self.assertEqual(
                collection.with_context(lang="fr_FR")._esign_seal_stamp_text(),
                f"Sealed by\n{self.company.name}\non 07/01/2026 at 04:05",
            )
        self.assertEqual(
            stamp_appearance.stamp_lines("Signé par\nŁukasz “Łuki” Wróbel"), 'Signé par\nLukasz "Luki" Wróbel'
        )
        long_name = "Marie-Charlotte de La Tour d'Auvergne-Lauraguais"
        lines = stamp_appearance.stamp_lines(
            f"Signé électroniquement par\n{long_name} {long_name}\nle 02/12/2026"
        ).split("\n")
        self.assertEqual(len(lines), 4)
        self.assertEqual((lines[0], lines[-1]), ("Signé électroniquement par", "le 02/12/2026"))
        self.assertTrue(lines[2].endswith("..."))

    def test_default_anchor_texts_and_rank_tags(self):
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=A4)
        pdf.drawString(72, 780, "Conditions particulières de la mission.")
        pdf.drawString(72, 400, "Lu et approuvé, bon pour accord")
        pdf.drawString(330, 400, "Pour le cabinet")
        pdf.drawString(72, 120, "{{signature:2}}")
        pdf.showPage()
        pdf.save()
        pages = stamp_layout.read_pages(buffer.getvalue())
        collection = self.make_collection_of(buffer.getvalue())
        client, firm = collection.signer_ids.sorted("signing_order")
        placements, fallback = stamp_layout.anchor_layout(pages, collection._esign_stamp_slots())
        self.assertFalse(fallback)
        boxes = {p.name: p.box for p in placements}
        under_client, under_firm = boxes[client._esign_field_name()], boxes[firm._esign_field_name()]
        self.assertEqual((round(under_client.x0), round(under_client.y1)), (72, 394), "right under “Lu et approuvé”")
        seal = boxes[pades.SEAL_FIELD]
        self.assertEqual((round(seal.x0), round(seal.y1)), (330, 394), "the seal right under “Pour le cabinet”")
        self.assertEqual(
            (round(under_firm.x0), round(under_firm.y1)), (72, 130), "the rank's tag comes before the role's anchor"
        )
