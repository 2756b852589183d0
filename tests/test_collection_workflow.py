from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from ..services.error_message import error_lines, join_errors
from ..services.text_input import reason_problem
from .common import EsignCase, sign


@tagged("post_install", "-at_install")
class TestCollectionWorkflow(EsignCase):
    def _mails_to(self, signer):
        return self.env["mail.mail"].search([("email_to", "=", signer.email)])

    def test_ordered_signing_notifies_next_group_only_after_previous(self):
        collection = self.make_collection(
            signers=[(self.client_fr, 1), (self.client_be, 1), (self.signatory.partner_id, 2)]
        )
        collection.action_launch()
        first, second, firm = collection.signer_ids.sorted("id")
        self.assertEqual((first.state, second.state, firm.state), ("to_sign", "to_sign", "waiting"))
        self.assertEqual(len(self._mails_to(first)), 1, "each signer of the first group gets an invitation")
        self.assertEqual(len(self._mails_to(second)), 1)
        self.assertFalse(self._mails_to(firm), "the firm is not invited before the clients have signed")

        sign(first)
        self.assertEqual(firm.state, "waiting", "the firm waits until the whole first group has signed")
        self.assertFalse(self._mails_to(firm))
        self.assertEqual(collection.state, "in_progress")

        sign(second)
        self.assertEqual(firm.state, "to_sign")
        self.assertEqual(len(self._mails_to(firm)), 1)
        invitation = self._mails_to(firm)
        self.assertIn(f"/esign/sign/{firm.id}/", invitation.body_html, "the e-mail carries a personal link")

        sign(firm.with_user(self.signatory))
        self.assertEqual(collection.state, "sealing", "the seal follows out of the last signer's request")
        with self.assertRaises(UserError):
            collection._action_cancel("Trop tard")
        self.assertEqual(self.env["esign.collection"]._cron_seal(), 1)
        self.assertEqual(collection.state, "done")
        self.assertEqual(collection.outcome, "done")
        self.assertEqual(collection.progress, "3 / 3")
        self.assertTrue(collection.end_date)
        self.assertEqual(collection.purge_date, collection.end_date + timedelta(days=30))
        kinds = collection.event_ids.mapped("event_type")
        self.assertEqual(kinds.count("signed"), 3)
        self.assertEqual(kinds[-2:], ["sealed", "completed"])
        self.assertTrue(collection.evidence_report_due)
        collection._cron_evidence_reports()
        self.assertEqual(collection.event_ids.mapped("event_type")[-1], "evidence_report")

    def test_launch_sets_deadline_fifteen_days_later(self):
        collection = self.make_collection()
        with freeze_time("2026-03-01 09:00:00"):
            collection.action_launch()
        self.assertEqual(collection.launch_date, datetime(2026, 3, 1, 9, 0))
        self.assertEqual(collection.deadline, datetime(2026, 3, 16, 9, 0))

    def test_signer_cannot_sign_twice_or_out_of_turn(self):
        collection = self.make_collection()
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        with self.assertRaisesRegex(UserError, "not yet the turn"):
            sign(firm.with_user(self.signatory))
        sign(client)
        with self.assertRaisesRegex(UserError, "already signed"):
            sign(client)
        self.assertEqual(collection.event_ids.mapped("event_type").count("signed"), 1)

    def test_launch_refused_lists_each_missing_item(self):
        nameless = self.env["res.partner"].create({"name": "Sans Courriel", "mobile": "+33 6 55 44 33 22"})
        no_mobile = self.env["res.partner"].create({"name": "Sans Mobile", "email": "sans.mobile@example.com"})
        bad_email = self.env["res.partner"].create(
            {"name": "Mauvais Courriel", "email": "pas-une-adresse", "mobile": "+33 6 55 44 33 21"}
        )
        collection = self.make_collection(documents=0, signers=[(nameless, 1), (no_mobile, 1), (bad_email, 2)])
        with self.assertRaises(UserError) as raised:
            collection.action_launch()
        message = str(raised.exception)
        self.assertIn("Add at least one PDF document", message)
        self.assertIn("Sans Courriel: the e-mail address is missing", message)
        self.assertIn("Sans Mobile: the mobile number is missing", message)
        self.assertIn("Mauvais Courriel: the e-mail address “pas-une-adresse” is not valid", message)
        self.assertEqual(collection.state, "draft")
        self.assertFalse(self.env["mail.mail"].search([("email_to", "=", "sans.mobile@example.com")]))

    def test_launch_refused_without_signer_or_when_disabled(self):
        collection = self.make_collection(signers=[])
        with self.assertRaisesRegex(UserError, "Add at least one signer"):
            collection.action_launch()
        self.company.esign_enabled = False
        collection = self.make_collection()
        with self.assertRaisesRegex(UserError, "Electronic signature is disabled"):
            collection.action_launch()

    def test_mark_ready_checks_then_waits_for_launch(self):
        collection = self.make_collection()
        collection.action_mark_ready()
        self.assertEqual(collection.state, "ready")
        self.assertFalse(collection.signer_ids.filtered(lambda s: s.state == "to_sign"))
        collection.action_launch()
        self.assertEqual(collection.state, "in_progress")

    def test_remind_pushes_deadline_and_notifies_current_signers_again(self):
        collection = self.make_collection()
        with freeze_time("2026-03-01 09:00:00"):
            collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        with freeze_time("2026-03-10 09:00:00"):
            collection.action_remind()
        self.assertEqual(collection.deadline, datetime(2026, 3, 31, 9, 0), "15 days pushed from the old deadline")
        self.assertEqual(collection.reminder_count, 1)
        self.assertEqual(len(self._mails_to(client)), 2)
        self.assertIn("reminded", collection.event_ids.mapped("event_type"))
        firm = collection.signer_ids - client
        self.assertFalse(self._mails_to(firm), "signers whose turn has not come are not reminded")

    def test_remind_revives_an_expired_collection(self):
        collection = self.make_collection()
        with freeze_time("2026-03-01 09:00:00"):
            collection.action_launch()
        with freeze_time("2026-03-20 09:00:00"):
            self.env["esign.collection"]._cron_expire()
            self.assertEqual(collection.state, "expired")
            collection.action_remind()
        self.assertEqual(collection.state, "in_progress")
        self.assertEqual(collection.deadline, datetime(2026, 4, 4, 9, 0))
        self.assertFalse(collection.purge_date)

    def test_reorder_pending_signers_while_running(self):
        collection = self.make_collection(
            signers=[(self.client_fr, 1), (self.client_be, 2), (self.signatory.partner_id, 3)]
        )
        collection.action_launch()
        client_fr, client_be, firm = collection.signer_ids.sorted("signing_order")
        sign(client_fr)
        self.assertEqual(client_be.state, "to_sign")
        # Luc is on holiday: the firm signs first.
        firm.signing_order = 2
        client_be.signing_order = 3
        self.assertEqual(firm.state, "to_sign")
        self.assertEqual(client_be.state, "waiting")
        self.assertIn("reordered", collection.event_ids.mapped("event_type"))
        with self.assertRaisesRegex(UserError, "already signed"):
            client_fr.signing_order = 5
        sign(firm.with_user(self.signatory))
        self.assertEqual(client_be.state, "to_sign")

    def test_reorder_refused_once_ended(self):
        collection = self.make_collection()
        collection.action_launch()
        collection._action_cancel("Client parti")
        with self.assertRaisesRegex(UserError, "before the collection ends"):
            collection.signer_ids[1].signing_order = 3

    def test_cancel_needs_a_reason_and_stops_signing(self):
        collection = self.make_collection()
        collection.action_launch()
        with self.assertRaisesRegex(UserError, "reason"):
            collection._action_cancel("  ")
        wizard = self.env["esign.collection.cancel"].create(
            {"collection_id": collection.id, "reason": "Lettre remplacée par une nouvelle version"}
        )
        wizard.action_confirm()
        self.assertEqual(collection.state, "cancelled")
        self.assertEqual(collection.cancel_reason, "Lettre remplacée par une nouvelle version")
        with self.assertRaisesRegex(UserError, "no longer in progress"):
            sign(collection.signer_ids[0])
        with self.assertRaisesRegex(UserError, "not yet ended"):
            collection._action_cancel("encore")

    def test_what_blocks_an_action_is_a_message_or_false(self):
        """One way to say what blocks an action: a translated message, one line per problem, or False."""
        self.assertEqual(
            [reason_problem(text, 10) for text in (None, "  ", "beaucoup trop long", "a\x00b", "Non\nmerci")],
            ["empty", "empty", "long", "control", None],
        )
        self.assertEqual(join_errors("A", False, None, "B"), "A\nB")
        self.assertIs(join_errors(False, None), False)
        self.assertEqual(error_lines(False), [])
        empty = self.make_collection(documents=0, signers=[])
        self.assertEqual(
            error_lines(empty._launch_error_message()), ["Add at least one PDF document.", "Add at least one signer."]
        )
        collection = self.make_collection()
        self.assertIs(collection._launch_error_message(), False)
        self.assertIs(collection._cancel_error_message("Mission annulée"), False)
        self.assertEqual(collection._cancel_error_message(" "), "Give the reason for the cancellation.")
        client = collection.signer_ids.sorted("signing_order")[0]
        self.assertIs(client._refusal_error_message("Trop cher"), False)
        self.assertEqual(
            client._refusal_error_message("x" * 1001), "The reason is too long: it is limited to 1000 characters."
        )

    def test_refusal_ends_collection_with_reason(self):
        collection = self.make_collection()
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        with self.assertRaisesRegex(UserError, "reason"):
            client._action_refuse("")
        with self.assertRaisesRegex(UserError, "limited"):
            client._action_refuse("x" * 1001)
        client._action_refuse("Les honoraires ne correspondent pas.")
        self.assertEqual(collection.state, "refused")
        self.assertEqual(collection.refusal_reason, "Les honoraires ne correspondent pas.")
        self.assertEqual(collection.refused_signer_id, client)
        self.assertEqual(firm.state, "waiting")
        last_message = collection.message_ids[0]
        self.assertIn("Sophie Martin refused to sign", last_message.body)
        self.assertIn(self.preparer.partner_id, last_message.partner_ids, "the preparer is notified")

    def test_launched_collection_cannot_be_deleted_or_changed(self):
        collection = self.make_collection()
        collection.action_launch()
        with self.assertRaisesRegex(UserError, "cancel it instead"):
            collection.unlink()
        with self.assertRaisesRegex(UserError, "once it is launched"):
            collection.write(
                {"document_ids": [(0, 0, {"name": "autre.pdf", "original_pdf": collection.document_ids.original_pdf})]}
            )
        with self.assertRaisesRegex(UserError, "cannot be removed"):
            collection.signer_ids[0].unlink()

    def test_launched_collection_duplicates_into_a_new_draft(self):
        collection = self.make_collection()
        collection.action_launch()
        copy = collection.copy()
        self.assertEqual(copy.state, "draft")
        self.assertEqual(copy.signer_ids.mapped("state"), ["waiting", "waiting"])
        self.assertEqual(copy.document_ids.original_sha256, collection.document_ids.original_sha256)
        self.assertEqual(copy.document_ids.page_count, 2, "the copy's file is inspected again")
        self.assertFalse(copy.document_ids.signed_pdf, "the certified revision stays with its collection")

    def test_draft_collection_can_be_deleted(self):
        collection = self.make_collection()
        collection.unlink()
        self.assertFalse(collection.exists())
