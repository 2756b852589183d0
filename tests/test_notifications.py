import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import EsignCase, as_signer, sign


@tagged("post_install", "-at_install")
class TestNotifications(HttpCase, EsignCase):
    """Editable templates: your turn, signed, refused, completed (links only), expired."""

    def mails_to(self, email):
        return self.env["mail.mail"].search([("email_to", "=", email)], order="id")

    def test_your_turn_signed_and_completion_links(self):
        copy = self.env["res.partner"].create({"name": "Expert-comptable associé", "email": "copie@cabinet.example"})
        collection = self.make_collection(copy_partner_ids=[(6, 0, copy.ids)])
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        sign(as_signer(client))
        signed_message = collection.message_ids.filtered(lambda m: "Sophie Martin signed" in (m.body or ""))
        self.assertIn(self.preparer.partner_id, signed_message.partner_ids)
        turn = self.mails_to(firm.email)
        self.assertIn("it is now your turn", turn[-1].body_html)
        as_signer(firm)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        document = collection.document_ids
        for email in (client.email, copy.email):
            mail = self.mails_to(email)[-1]
            self.assertIn("Everybody has signed", mail.body_html)
            self.assertFalse(mail.attachment_ids, "links only, never the file")
            self.assertIn(document.name, mail.body_html)
        client_link = re.search(r'href="[^"]*(/esign/download/[^"]+)"', self.mails_to(client.email)[-1].body_html)[1]
        copy_link = re.search(r'href="[^"]*(/esign/copy/[^"]+)"', self.mails_to(copy.email)[-1].body_html)[1]
        self.authenticate(None, None)
        for link in (client_link, copy_link):
            response = self.url_open(link)
            self.assertEqual(response.status_code, 200)
            self.assertTrue(response.content.startswith(b"%PDF"))
        downloads = collection.event_ids.filtered(lambda e: e.event_type == "downloaded")
        self.assertEqual(len(downloads), 2)
        self.assertEqual(self.url_open(copy_link[:-3] + "xyz").status_code, 404)
        collection._esign_write({"purge_date": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["esign.collection"]._cron_purge()
        self.assertIn("no longer available", self.url_open(client_link).text)

    def test_refused_and_expired_tell_the_preparer(self):
        refused = self.make_collection()
        refused.action_launch()
        refused.signer_ids.sorted("signing_order")[0]._action_refuse("Pas d'accord")
        message = refused.message_ids.filtered(lambda m: "refused to sign" in (m.body or ""))
        self.assertIn("Pas d'accord", message.body)
        self.assertIn(self.preparer.partner_id, message.partner_ids)

        expired = self.make_collection()
        expired.action_launch()
        expired._esign_write({"deadline": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["esign.collection"]._cron_expire()
        mail = self.mails_to(self.preparer.email)
        self.assertTrue(mail.filtered(lambda m: "the collection expired" in m.body_html))
