import base64
import re

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import EsignCase
from .test_signing_page import EsignPortalMixin

PNG = base64.b64encode(
    base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
)


@tagged("post_install", "-at_install")
class TestBackofficeSigning(EsignPortalMixin, EsignCase):
    """The firm's signatory signs from the collection form with a code sent to their own mobile."""

    def test_signatory_signs_from_the_collection(self):
        collection, client, firm = self.launch()
        as_signatory = collection.with_user(self.signatory)
        self.assertFalse(as_signatory.my_signer_id, "not their turn yet")
        with self.assertRaises(UserError):
            as_signatory.action_open_sign_wizard()
        client._sign_checked()
        self.assertEqual(as_signatory.my_signer_id, firm)
        action = as_signatory.action_open_sign_wizard()
        wizard = self.env["esign.sign.wizard"].with_user(self.signatory).browse(action["res_id"])
        self.assertEqual(wizard.masked_mobile, "+33 6•• •• •• 32")
        wizard.action_send_code()
        self.assertIn("+33698765432", self.sms_server.requests[-1]["body"])
        code = re.search(r"\b(\d{6})\b", self.sms_server.last_message()).group(1)
        with Form(wizard) as form:
            form.signature = PNG
            form.accepted = True
            form.code = "000000" if code != "000000" else "111111"
        wizard.action_sign()
        self.assertIn("not right", wizard.error)
        self.assertEqual(firm.state, "to_sign")
        wizard.code = code
        result = wizard.action_sign()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(firm.state, "signed")
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")

    def test_nobody_signs_for_someone_else(self):
        _collection, client, _firm = self.launch()
        wizard = self.env["esign.sign.wizard"].create({"signer_id": client.id})
        with self.assertRaises(UserError):
            wizard.with_user(self.signatory).action_send_code()
        self.assertFalse(self.sms_server.requests)
