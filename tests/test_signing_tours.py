from odoo.tests import HttpCase, tagged

from .common import EsignCase
from .test_signing_page import EsignPortalMixin


@tagged("post_install", "-at_install")
class TestSigningTours(EsignPortalMixin, HttpCase, EsignCase):
    """The whole client journey in Chromium: open the link, read, accept, code, draw, sign."""

    def journey(self):
        collection, client, firm = self.launch()
        self.start_tour(f"{self.link(client)}?sms_server={self.sms_server.url}", "esign_signing_tour")
        self.assertEqual(client.state, "signed")
        self.assertEqual(firm.state, "to_sign")
        self.assertIn("otp_verified", collection.event_ids.mapped("event_type"))

    def test_journey_on_a_desktop(self):
        self.browser_size = "1366x768"
        self.journey()

    def test_journey_on_a_phone(self):
        self.browser_size = "390x844"
        self.touch_enabled = True
        self.journey()

    def test_refusal(self):
        collection, client, _firm = self.launch()
        self.start_tour(self.link(client), "esign_refusal_tour")
        self.assertEqual(collection.state, "refused")
        self.assertEqual(collection.refusal_reason, "Les honoraires ne correspondent pas au devis")
