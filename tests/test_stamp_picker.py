"""The place of the stamps picked on the page in the collection form's PDF viewer, then read back
from the signed file."""

import base64
import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from odoo.tests import HttpCase, tagged

from ..services import pades, stamp_appearance, stamp_layout
from .common import EsignCase, as_signer, make_png
from .test_stamp_placement import widgets

GEOMETRY_JS = Path(__file__).parent.parent / "static/src/stamp_picker/stamp_geometry.js"
# Where the tour clicks on page 2, as fractions of the page from its top-left corner.
SPOT = (0.3, 0.75)


def two_page_contract():
    """Two A4 pages; the second has its text at the top and room for the stamps below."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for line in range(30):
        pdf.drawString(72, 780 - line * 18, f"Article {line + 1} : les parties conviennent de ce qui suit.")
    pdf.showPage()
    pdf.setFontSize(16)
    pdf.drawString(72, 780, "Signatures")
    pdf.setFontSize(12)
    pdf.drawString(72, 750, "Fait à Paris, en deux exemplaires.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestStampPicker(HttpCase, EsignCase):
    def test_the_viewer_speaks_the_servers_geometry(self):
        source = GEOMETRY_JS.read_text()
        for name, value in (
            ("STAMP_WIDTH", stamp_layout.STAMP_WIDTH),
            ("STAMP_HEIGHT", stamp_layout.STAMP_HEIGHT),
            ("STAMP_GAP", stamp_layout.STAMP_GAP),
        ):
            self.assertRegex(source, rf"export const {name} = {value};", f"{name} of the viewer is the server's")
        self.assertEqual(
            (stamp_appearance.STAMP_WIDTH, stamp_appearance.STAMP_HEIGHT),
            (stamp_layout.STAMP_WIDTH, stamp_layout.STAMP_HEIGHT),
        )

    def test_pick_the_place_on_page_two(self):
        self.browser_size = "1366x768"
        collection = self.make_collection_of(two_page_contract())
        document = collection.document_ids
        self.assertEqual(document.stamp_placement, "anchor")
        self.start_tour(f"/odoo/esign.collection/{collection.id}", "esign_stamp_picker_tour", login=self.preparer.login)

        width, height = A4
        expected_x = width * SPOT[0] - stamp_layout.STAMP_WIDTH / 2
        expected_y = height * (1 - SPOT[1]) - stamp_layout.STAMP_HEIGHT / 2
        self.assertEqual(document.stamp_placement, "page")
        self.assertEqual(document.stamp_page, 2)
        self.assertAlmostEqual(document.stamp_x, expected_x, delta=3)
        self.assertAlmostEqual(document.stamp_y, expected_y, delta=3)

        collection.action_launch()
        self.start_tour(
            f"/odoo/esign.collection/{collection.id}", "esign_stamp_picker_readonly_tour", login=self.preparer.login
        )
        for signer in collection.signer_ids.sorted("signing_order"):
            as_signer(signer)._sign_checked(signature_image=make_png())
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        found = widgets(base64.b64decode(document.signed_pdf))
        client, firm = collection.signer_ids.sorted("signing_order")
        page, rect, _media = found[client._esign_field_name()]
        self.assertEqual(page, 1, "the client's stamp is on page 2")
        self.assertAlmostEqual(rect[0], document.stamp_x, delta=0.1)
        self.assertAlmostEqual(rect[1], document.stamp_y, delta=0.1)
        self.assertAlmostEqual(rect[2] - rect[0], stamp_layout.STAMP_WIDTH, delta=0.1)
        page, rect, _media = found[firm._esign_field_name()]
        self.assertEqual(page, 1)
        self.assertAlmostEqual(rect[0], document.stamp_x + stamp_layout.STAMP_WIDTH + stamp_layout.STAMP_GAP, delta=0.1)
        page, rect, _media = found[pades.SEAL_FIELD]
        self.assertEqual(page, 1)
        self.assertAlmostEqual(rect[0], document.stamp_x, delta=0.1, msg="the seal starts the next row")
        self.assertAlmostEqual(
            rect[1], document.stamp_y - stamp_layout.STAMP_HEIGHT - stamp_layout.STAMP_GAP, delta=0.1
        )

    def test_a_launched_collection_shows_where_the_stamps_went(self):
        """A place over the page's text: at launch the stamps go on an appended page, and the viewer says so."""
        collection = self.make_collection_of(
            two_page_contract(), stamp_placement="page", stamp_page=2, stamp_x=72, stamp_y=700
        )
        collection.action_launch()
        self.assertIn('"signature_page": {', collection.document_ids.stamp_layout)
        self.start_tour(
            f"/odoo/esign.collection/{collection.id}", "esign_stamp_picker_appended_tour", login=self.preparer.login
        )
