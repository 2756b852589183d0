from odoo.tests import HttpCase, new_test_user, tagged

from .common import EsignCase


@tagged("post_install", "-at_install")
class TestPortalList(HttpCase, EsignCase):
    """/my/esign: a logged-in portal user finds their own signatures, and only theirs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="sophie_portal", password="sophie_portal_pw", groups="base.group_portal"
        )
        cls.portal_user.partner_id = cls.client_fr

    def test_my_esign_list_counter_and_open(self):
        mine = self.make_collection(subject="Lettre de mission Boulangerie")
        mine.action_launch()
        other = self.make_collection(subject="Lettre de mission Brasserie", signers=[(self.client_be, 1)])
        other.action_launch()
        self.make_collection(subject="Brouillon pas encore lancé")
        self.authenticate("sophie_portal", "sophie_portal_pw")
        response = self.url_open("/my/esign")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Lettre de mission Boulangerie", response.text)
        self.assertNotIn("Brasserie", response.text)
        self.assertNotIn("Brouillon", response.text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["esign_count"]})
        self.assertEqual(counters["esign_count"], 1)
        self.assertIn("/my/esign", self.url_open("/my/home").text)
        client = mine.signer_ids.filtered(lambda s: s.partner_id == self.client_fr)
        response = self.url_open(f"/my/esign/{client.id}/open")
        self.assertEqual(response.status_code, 200)
        self.assertIn("I have read the documents and want to sign", response.text)
        other_signer = other.signer_ids
        response = self.url_open(f"/my/esign/{other_signer.id}/open", allow_redirects=False)
        self.assertTrue(response.headers["Location"].endswith("/my/esign"), "not their signature")
