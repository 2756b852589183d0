from odoo.tests import HttpCase, tagged

from .common import EsignCase
from .test_signing_page import EsignPortalMixin

PHONE = "390x844"
DESKTOP = "1366x768"


@tagged("post_install", "-at_install")
class TestSigningTours(EsignPortalMixin, HttpCase, EsignCase):
    """The client's journey in Chromium, on a phone and on a desktop: what they see at each step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"name": "Cabinet Durand", "phone": "+33 1 42 68 53 00", "email": "contact@cabinet.example"})

    def use(self, size):
        self.browser_size = size
        self.touch_enabled = size == PHONE

    def journey(self):
        collection, client, firm = self.launch()
        self.start_tour(f"{self.link(client)}?sms_server={self.sms_server.url}", "esign_signing_tour")
        self.assertEqual(client.state, "signed")
        self.assertEqual(firm.state, "to_sign")
        events = collection.event_ids.mapped("event_type")
        self.assertIn("otp_failed", events, "the wrong code was checked and refused")
        self.assertIn("otp_verified", events)

    def test_journey_on_a_desktop(self):
        self.use(DESKTOP)
        self.journey()

    def test_journey_on_a_phone(self):
        self.use(PHONE)
        self.journey()

    def sms_failure(self):
        self.sms_server.status = 500
        self.addCleanup(setattr, self.sms_server, "status", 200)
        collection, client, _firm = self.launch()
        self.start_tour(f"{self.link(client)}?sms_server={self.sms_server.url}", "esign_sms_failure_tour")
        self.assertEqual(client.state, "signed")
        events = collection.event_ids.mapped("event_type")
        self.assertEqual(events.count("otp_send_failed"), 2)
        activities = collection.activity_ids.filtered(lambda a: "could not be sent by SMS" in (a.summary or ""))
        self.assertEqual(len(activities), 1, "one activity for the failure episode, not one per click")
        self.assertEqual(activities.user_id, self.preparer)
        self.assertIn(client.name, activities.summary)

    def test_sms_failure_then_resend_on_a_phone(self):
        self.use(PHONE)
        self.sms_failure()

    def test_sms_failure_then_resend_on_a_desktop(self):
        self.use(DESKTOP)
        self.sms_failure()

    def refusal(self):
        collection, client, _firm = self.launch()
        self.start_tour(self.link(client), "esign_refusal_tour")
        self.assertEqual(collection.state, "refused")
        self.assertEqual(collection.refusal_reason, "Les honoraires ne correspondent pas au devis")

    def test_refusal_on_a_phone(self):
        self.use(PHONE)
        self.refusal()

    def test_refusal(self):
        """On a desktop."""
        self.use(DESKTOP)
        self.refusal()

    def test_verifier_results_on_a_phone(self):
        collection, client, firm = self.launch()
        token = client._issue_access_token()
        client._sign_checked()
        firm.with_user(self.signatory)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        self.use(PHONE)
        pdf = f"/esign/download/{client.id}/{token}/{collection.document_ids.id}"
        self.start_tour(f"/esign/verify?pdf={pdf}", "esign_verify_phone_tour")
