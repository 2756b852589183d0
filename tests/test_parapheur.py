import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from ..services.pdf_verify import check_pdf_signatures
from .common import EsignCase
from .test_signing_page import EsignPortalMixin


@tagged("post_install", "-at_install")
class TestParapheur(EsignPortalMixin, EsignCase):
    """A signatory signs many collections with one SMS code, in the background."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collections = cls.make_waiting_for_firm(3)
        cls.firm_signers = cls.collections.signer_ids.filtered(lambda s: s.role == "firm")

    def setUp(self):
        super().setUp()
        self.sms_server.requests.clear()

    def _parapheur(self):
        action = self.env.ref("engagement_letter_esign.esign_parapheur_action")
        domain = [
            ("user_id", "=", self.signatory.id),
            ("state", "=", "to_sign"),
            ("collection_state", "=", "in_progress"),
        ]
        self.assertIn("('user_id', '=', uid)", action.domain)
        return self.env["esign.signer"].with_user(self.signatory).search(domain)

    def _wizard(self, signers):
        return (
            self.env["esign.parapheur.sign"]
            .with_user(self.signatory)
            .with_context(active_model="esign.signer", active_ids=signers.ids)
            .create({})
        )

    def _sms_to_signatory(self):
        return [r for r in self.sms_server.requests if '"+33698765432"' in r["body"]]

    def _last_code(self):
        self.assertTrue(self._sms_to_signatory(), "the code goes to the signatory's own mobile")
        return re.search(r"\b(\d{6})\b", self.sms_server.last_message()).group(1)

    def test_parapheur_lists_what_waits_for_me(self):
        self.assertEqual(self._parapheur(), self.firm_signers)
        other = self.make_collection()
        other.action_launch()
        self.assertNotIn(other.signer_ids, self._parapheur(), "not my turn yet: the client signs first")

    def test_one_code_signs_every_selected_document(self):
        wizard = self._wizard(self._parapheur())
        self.assertEqual((wizard.collection_count, wizard.document_count), (3, 6))
        wizard.action_send_code()
        self.assertEqual(wizard.step, "code")
        self.assertEqual(len(self._sms_to_signatory()), 1, "one SMS")
        wizard.code = self._last_code()
        action = wizard.action_sign()
        batch = wizard.batch_id
        self.assertEqual(action["res_id"], batch.id)
        self.assertEqual(batch.state, "queued", "signing happens in the background")
        self.assertTrue(all(signer.state == "to_sign" for signer in self.firm_signers))
        self.assertEqual(self.env["esign.parapheur.batch"]._cron_sign_batches(chunk_size=2), 3)
        self.assertEqual(batch.state, "done")
        self.assertEqual(set(self.collections.mapped("state")), {"sealing"}, "sealed apart, out of the batch")
        self.assertEqual(self.env["esign.collection"]._cron_seal(), 3)
        self.assertEqual((batch.signed_count, batch.skipped_count, batch.progress), (3, 0, 100.0))
        self.assertEqual(set(self.collections.mapped("state")), {"done"})
        for collection in self.collections:
            kinds = collection.event_ids.filtered(lambda e: e.signer_id.role == "firm").mapped("event_type")
            self.assertEqual(kinds.count("parapheur"), 1, "one event for the batch")
            self.assertEqual(kinds.count("signed"), 2, "one event per document")
            self.assertEqual(
                collection.event_ids.filtered(lambda e: e.event_type == "parapheur").actor_user_id, self.signatory
            )
        self.assertFalse(self._parapheur(), "nothing left to sign")
        roots = self.company._esign_trust_roots()
        for document in self.collections.document_ids:
            checks = check_pdf_signatures(document._current_pdf(), roots)
            self.assertIn("Sylvie Signataire", [check.signer_name for check in checks])
            self.assertTrue(checks and all(check.sound for check in checks), "each document validates with pyHanko")

    def test_wrong_code_signs_nothing(self):
        wizard = self._wizard(self._parapheur())
        wizard.action_send_code()
        right = self._last_code()
        wrong = "000000" if right != "000000" else "111111"
        for tries_left in (4, 3, 2, 1):
            wizard.code = wrong
            wizard.action_sign()
            self.assertEqual(wizard.error, f"Wrong code. {tries_left} tries left.")
            self.assertEqual(wizard.batch_id.state, "draft")
        wizard.code = wrong
        wizard.action_sign()
        self.assertIn("too many tries", wizard.error)
        wizard.code = right
        wizard.action_sign()
        self.assertEqual(wizard.error, "Ask for a new code.", "the right code no longer works once locked")
        self.assertEqual(wizard.batch_id.state, "draft")
        self.assertEqual(self.env["esign.parapheur.batch"]._cron_sign_batches(), 0)
        self.assertTrue(all(signer.state == "to_sign" for signer in self.firm_signers))

    def test_code_rules_follow_the_settings(self):
        self.company.write({"esign_otp_max_attempts": 2, "esign_otp_validity_minutes": 10})
        wizard = self._wizard(self._parapheur())
        wizard.action_send_code()
        self.assertIn("Valid 10 minutes", self.sms_server.last_message())
        right = self._last_code()
        wizard.code = "000000" if right != "000000" else "111111"
        wizard.action_sign()
        self.assertEqual(wizard.error, "Wrong code. 1 tries left.")
        wizard.code = right
        wizard.action_sign()
        self.assertEqual(wizard.batch_id.state, "queued")

    def test_code_expires_and_resend_waits(self):
        with freeze_time("2026-05-04 10:00:00"):
            wizard = self._wizard(self._parapheur())
            wizard.action_send_code()
            code = self._last_code()
        with freeze_time("2026-05-04 10:00:30"):
            # Refusals are shown in the wizard, not raised, so that their proof event is kept.
            wizard.action_send_code()
            self.assertRegex(wizard.error, "Wait 31 seconds")
        with freeze_time("2026-05-04 10:30:01"):
            wizard.code = code
            wizard.action_sign()
            self.assertEqual(wizard.error, "This code has expired: ask for a new one.")
            wizard.action_send_code()
            wizard.code = self._last_code()
            wizard.action_sign()
            self.assertFalse(wizard.error)
            self.assertEqual(wizard.batch_id.state, "queued")

    def test_collection_ended_meanwhile_is_skipped_and_reported(self):
        wizard = self._wizard(self._parapheur())
        wizard.action_send_code()
        wizard.code = self._last_code()
        wizard.action_sign()
        cancelled, refused_meanwhile, fine = self.collections
        cancelled._action_cancel("Le client a changé de cabinet")
        refused_meanwhile._esign_write({"deadline": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["esign.collection"]._cron_expire()
        self.env["esign.parapheur.batch"]._cron_sign_batches()
        self.env["esign.collection"]._cron_seal()
        batch = wizard.batch_id
        self.assertEqual(batch.state, "done")
        self.assertEqual((batch.signed_count, batch.skipped_count), (1, 2))
        skipped = batch.line_ids.filtered(lambda line: line.state == "skipped")
        self.assertEqual(skipped.collection_id, cancelled | refused_meanwhile)
        self.assertTrue(all("no longer in progress" in line.message for line in skipped))
        self.assertEqual(fine.state, "done")
        self.assertEqual(cancelled.state, "cancelled")

    def test_nothing_signed_twice(self):
        wizard = self._wizard(self._parapheur())
        wizard.action_send_code()
        code = self._last_code()
        wizard.code = code
        wizard.action_sign()
        with self.assertRaisesRegex(UserError, "already confirmed"):
            wizard.batch_id.with_user(self.signatory)._confirm(code)
        with self.assertRaisesRegex(UserError, "already being signed in another batch"):
            self._wizard(self.firm_signers).action_send_code()
        self.env["esign.parapheur.batch"]._cron_sign_batches()
        self.assertEqual(self.env["esign.parapheur.batch"]._cron_sign_batches(), 0, "a second run has nothing to do")
        with self.assertRaisesRegex(UserError, "no longer waiting for your signature"):
            self._wizard(self.firm_signers).action_send_code()
        for collection in self.collections:
            self.assertEqual(collection.event_ids.mapped("event_type").count("parapheur"), 1)

    def test_unreachable_gateway_leaves_everything_as_it_was(self):
        self.sms_server.status = 503
        self.addCleanup(setattr, self.sms_server, "status", 200)
        wizard = self._wizard(self._parapheur())
        wizard.action_send_code()
        self.assertRegex(wizard.error, "The SMS could not be sent")
        self.assertTrue(all(signer.state == "to_sign" for signer in self.firm_signers))
        self.sms_server.status = 200
        wizard.action_send_code()
        wizard.code = self._last_code()
        wizard.action_sign()
        self.assertFalse(wizard.error)
        self.assertEqual(wizard.batch_id.state, "queued")

    def test_only_a_signatory_signs_and_only_their_own(self):
        with self.assertRaises(AccessError):
            self.env["esign.parapheur.sign"].with_user(self.preparer).with_context(
                active_model="esign.signer", active_ids=self.firm_signers.ids
            ).create({})
        menu = self.env.ref("engagement_letter_esign.esign_parapheur_menu")
        self.assertEqual(menu.groups_id, self.env.ref("engagement_letter_esign.group_esign_signatory"))
        client_lines = self.collections.signer_ids.filtered(lambda s: s.role == "client")
        with self.assertRaisesRegex(UserError, "no longer waiting for your signature"):
            self._wizard(client_lines).action_send_code()
