import base64
import importlib.util
import os
import re

from odoo.tests import tagged

from ..services import pades
from .common import EsignCase, as_signer, make_png, send_notifications, sign


def _load_migration(name):
    path = os.path.join(os.path.dirname(__file__), "..", "migrations", "18.0.1.4.0", name)
    spec = importlib.util.spec_from_file_location(name.replace("-", "_")[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestSigningPath(EsignCase):
    """One way in per way of signing; what a signature tells others is sent after it, not in it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.texts = []
        cls.company.esign_sms_gateway = "http"

    def setUp(self):
        super().setUp()
        texts = self.texts
        texts.clear()
        self.patch(type(self.env["esign.otp"]), "_send_sms", lambda _self, company, number, text: texts.append(text))

    def mails_to(self, signer):
        return self.env["mail.mail"].search([("email_to", "=", signer.email)])

    def signed_messages(self, collection):
        return collection.message_ids.filtered(lambda m: "signed" in (m.body or "") and "Sophie Martin" in m.body)

    def sign_with_code(self, signer):
        signer = as_signer(signer)
        self.assertIn("masked", signer._request_signing_code(ip_address="10.0.0.1", user_agent="test"))
        code = re.search(r"\b(\d{6})\b", self.texts[-1]).group(1)
        return signer._sign_with_code(code, make_png(), True, ip_address="10.0.0.1", user_agent="test")

    def test_signature_leaves_its_messages_and_the_next_invitation_to_the_scheduled_action(self):
        collection = self.make_collection()
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        trigger = self.env.ref("engagement_letter_esign.ir_cron_esign_notify")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", trigger.id)])
        mails_before = self.env["mail.mail"].search_count([])

        self.assertEqual(self.sign_with_code(client), {"signed": True})

        # The signature, its proof and the turn are there at once...
        self.assertEqual((client.state, firm.state), ("signed", "to_sign"))
        self.assertIn("signed", collection.event_ids.mapped("event_type"))
        self.assertTrue(pades.is_signed(base64.b64decode(collection.document_ids.signed_pdf)))
        # ...what tells others is not rendered in the signer's request: it is queued, the action woken.
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        self.assertFalse(self.signed_messages(collection))
        self.assertFalse(self.mails_to(firm))
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", trigger.id)]), triggers_before + 1)

        self.assertEqual(send_notifications(self.env), 2, "the signed signer and the invited one")
        self.assertEqual(len(self.signed_messages(collection)), 1)
        invitation = self.mails_to(firm)
        self.assertEqual(len(invitation), 1)
        self.assertIn(f"/esign/sign/{firm.id}/", invitation.body_html)
        self.assertEqual(collection.event_ids.filtered(lambda e: e.event_type == "notified").signer_id, client | firm)

        # Sent once: a second run has nothing to do.
        self.assertEqual(send_notifications(self.env), 0)
        self.assertEqual(len(self.mails_to(firm)), 1)
        self.assertEqual(len(self.signed_messages(collection)), 1)

    def test_collection_cancelled_before_the_notifications_invites_nobody(self):
        collection = self.make_collection()
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        as_signer(client)._sign_checked()
        collection._action_cancel("Le client a changé d'avis")
        send_notifications(self.env)
        self.assertFalse(self.mails_to(firm), "a stopped collection invites nobody")
        self.assertEqual(len(self.signed_messages(collection)), 1, "the signature itself is still told")

    def test_last_signature_is_told_before_the_collection_closes(self):
        collection = self.make_collection()
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        sign(client)
        as_signer(firm)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        bodies = collection.message_ids.sorted("id").mapped("body")
        signed = next(i for i, body in enumerate(bodies) if "Sylvie Signataire" in (body or "") and "signed" in body)
        closed = next(i for i, body in enumerate(bodies) if "Every signer has signed" in (body or ""))
        self.assertLess(signed, closed)
        self.assertFalse(firm.signature_notice_due)

    def test_one_lock_one_check_one_decoding_per_signature(self):
        collection = self.make_collection()
        collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        signer_class = type(self.env["esign.signer"])
        calls = {"_esign_lock": 0, "_signing_status": 0, "_check_can_act": 0, "_esign_signature_png": 0}
        for name in calls:
            original = getattr(signer_class, name)

            def counted(record, *args, _name=name, _original=original, **kwargs):
                calls[_name] += 1
                return _original(record, *args, **kwargs)

            self.patch(signer_class, name, counted)
        as_signer(client)._request_signing_code()
        code = re.search(r"\b(\d{6})\b", self.texts[-1]).group(1)
        for name in calls:
            calls[name] = 0
        self.assertEqual(as_signer(client)._sign_with_code(code, make_png(), True), {"signed": True})
        self.assertEqual(calls["_esign_lock"], 1)
        self.assertEqual(calls["_signing_status"] + calls["_check_can_act"], 1)
        self.assertEqual(calls["_esign_signature_png"], 1)
        self.assertFalse(hasattr(signer_class, "_action_sign"), "nothing marks a signer signed without signing")

    def test_migration_certifies_documents_of_collections_launched_before_certification(self):
        collection = self.make_collection()
        collection.action_launch()
        document = collection.document_ids
        # As launched before the certification moved to the launch: the original, nobody's signature.
        document._esign_store_revision(self.pdf)
        self.assertFalse(pades.is_signed(document._current_pdf()))
        _load_migration("post-20-certify-in-flight.py").migrate(self.env.cr, "18.0.1.3.0")
        data = document._current_pdf()
        _reader, form_fields = pades.check_signable(data)
        self.assertEqual(form_fields.signed, {pades.CERTIFICATION_FIELD}, "certified by the firm, signed by nobody")
        self.assertEqual(collection.event_ids.mapped("event_type").count("certified"), 2)
        client, firm = collection.signer_ids.sorted("signing_order")
        self.assertEqual(self.sign_with_code(client), {"signed": True})
        sign(firm.with_user(self.signatory))
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        self.assertFalse(collection._verify_event_chain(), "the journal is intact")
        # Run again on a database already migrated: nothing certified twice.
        self.assertFalse(collection._esign_certify_in_flight())
