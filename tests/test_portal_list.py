import re
from datetime import timedelta

from odoo import fields
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

    def test_statuses_counter_and_icon(self):
        to_sign = self.make_collection(subject="Lettre à signer")
        to_sign.action_launch()
        expired = self.make_collection(subject="Lettre expirée")
        expired.action_launch()
        expired._esign_write({"deadline": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["esign.collection"]._cron_expire()
        self.assertEqual(expired.state, "expired")
        self.authenticate("sophie_portal", "sophie_portal_pw")
        text = self.url_open("/my/esign").text
        rows = dict(re.findall(r'o_esign_my_row" data-status="(\w+)">.*?(Lettre [^<]+)<', text, re.S))
        self.assertEqual(rows, {"to_sign": "Lettre à signer", "expired": "Lettre expirée"})
        expired_row = text[text.index('data-status="expired"') :]
        expired_row = expired_row[: expired_row.index("</tr>")]
        self.assertIn("Expired", expired_row)
        self.assertNotIn("To sign", expired_row)
        self.assertNotIn("/open", expired_row, "an expired request cannot be opened")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["esign_count", "esign_to_sign_count"]})
        self.assertEqual(counters, {"esign_count": 2, "esign_to_sign_count": 1})
        home = self.url_open("/my/home").text
        self.assertIn('data-placeholder_count="esign_to_sign_count"', home)
        self.assertIn("Documents to sign", home)
        self.assertIn("/engagement_letter_esign/static/src/img/esign_portal.svg", home)
        icon = self.url_open("/engagement_letter_esign/static/src/img/esign_portal.svg").text
        self.assertIn('width="64" height="64"', icon, "sized like Odoo's own portal icons")

    def test_status_column_on_a_phone(self):
        collection = self.make_collection(subject="Lettre de mission Boulangerie Martin, exercice 2027")
        collection.action_launch()
        self.browser_size = "390x844"
        self.touch_enabled = True
        self.start_tour("/my/esign", "esign_my_list_tour", login="sophie_portal")
