import json
import re

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..services.pdf_verify import check_pdf_signatures
from .common import EsignCase, sign
from .test_signing_page import EsignPortalMixin


class ParapheurRpcMixin(EsignPortalMixin):
    """A firm signatory's real session, and collections: theirs to sign, a client's, another signatory's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_signatory = new_test_user(
            cls.env,
            login="esign_other_signatory",
            name="Olivier Autre",
            email="olivier@cabinet.example",
            groups="base.group_user,engagement_letter_esign.group_esign_signatory",
        )
        cls.other_signatory.partner_id.mobile = "+33 6 11 22 33 44"
        cls.mine = cls.make_waiting_for_firm(2)
        cls.my_lines = cls.mine.signer_ids.filtered(lambda s: s.role == "firm")
        # Anna Keller's own turn, in a collection the signatory signs after her.
        cls.client_collection = cls.make_collection(
            signers=[(cls.client_ch, 1), (cls.signatory.partner_id, 2)], subject="Horlogerie Keller"
        )
        cls.client_collection.action_launch()
        cls.anna = cls.client_collection.signer_ids.filtered(lambda s: s.partner_id == cls.client_ch)
        # Another signatory's turn.
        cls.other_collection = cls.make_collection(
            signers=[(cls.client_be, 1), (cls.other_signatory.partner_id, 2)], subject="Brasserie Dupuis"
        )
        cls.other_collection.signer_ids.filtered(lambda s: s.partner_id == cls.other_signatory.partner_id).role = "firm"
        cls.other_collection.action_launch()
        sign(cls.other_collection.signer_ids.filtered(lambda s: s.partner_id == cls.client_be))
        cls.other_line = cls.other_collection.signer_ids.filtered(lambda s: s.role == "firm")
        cls.foreign = cls.client_collection | cls.other_collection

    def setUp(self):
        super().setUp()
        self.sms_server.requests.clear()
        self.authenticate("esign_signatory", "esign_signatory")

    # ------------------------------------------------------------------
    # Over HTTP, as the signatory's browser would
    # ------------------------------------------------------------------

    def call(self, model, method, *args, **kwargs):
        """The JSON body of a call_kw request: ``result`` or ``error``."""
        payload = {
            "id": 0,
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        }
        response = self.url_open(
            "/web/dataset/call_kw", data=json.dumps(payload), headers={"Content-Type": "application/json"}
        )
        self.assertEqual(response.status_code, 200, "an error answer, never a crash")
        self.env.invalidate_all()
        return response.json()

    def swap_signer(self, signer, partner):
        """Put another person on a launched firm line, as only the database itself still could.

        The ORM refuses it (the firm's signer is fixed once launched); the parapheur must still
        check each line again when it sends, confirms and signs.
        """
        with self.assertRaises(UserError):
            signer.with_user(self.preparer).write({"partner_id": partner.id})
        user = partner.user_ids.filtered(lambda u: not u.share)[:1]
        self.env.cr.execute(
            "UPDATE esign_signer SET partner_id = %s, user_id = %s, name = %s WHERE id = %s",
            [partner.id, user.id or None, partner.name, signer.id],
        )
        self.env.invalidate_all()

    def ok(self, model, method, *args, **kwargs):
        body = self.call(model, method, *args, **kwargs)
        self.assertNotIn("error", body, body.get("error", {}).get("data", {}).get("message"))
        return body["result"]

    def refused(self, error, model, method, *args, **kwargs):
        """Assert the call is refused with ``error`` (AccessError, UserError...); return its message."""
        body = self.call(model, method, *args, **kwargs)
        self.assertIn("error", body, f"{model}.{method} must be refused")
        data = body["error"]["data"]
        self.assertEqual(data["name"], f"odoo.exceptions.{error}", data["message"])
        self.assertNotIn("Traceback", data["message"])
        return data["message"]

    def wizard(self, signers):
        context = {"active_model": "esign.signer", "active_ids": signers.ids}
        return self.ok("esign.parapheur.sign", "create", {}, context=context)

    def send_code(self, wizard_id):
        self.ok("esign.parapheur.sign", "action_send_code", [wizard_id])
        return self.env["esign.parapheur.sign"].browse(wizard_id)

    def sign(self, wizard_id, code):
        self.ok("esign.parapheur.sign", "write", [wizard_id], {"code": code})
        self.ok("esign.parapheur.sign", "action_sign", [wizard_id])
        return self.env["esign.parapheur.sign"].browse(wizard_id)

    def last_code(self):
        return re.search(r"\b(\d{6})\b", self.sms_server.last_message()).group(1)

    def wrong(self, code):
        return "000000" if code != "000000" else "111111"

    def batches(self):
        return self.env["esign.parapheur.batch"].sudo().search([])


@tagged("post_install", "-at_install")
class TestParapheurAttacks(ParapheurRpcMixin, HttpCase, EsignCase):
    """A signatory tries to sign someone else's turn through the parapheur, over RPC."""

    def setUp(self):
        super().setUp()
        self.revisions = {document: document.signed_sha256 for document in self.foreign.document_ids}
        self.batch_count = len(self.batches())

    def assert_foreign_untouched(self):
        """Nothing signed for anyone but the signatory: no revision, no 'signed' event, no line."""
        self.env.invalidate_all()
        for document, sha256 in self.revisions.items():
            self.assertEqual(document.signed_sha256, sha256, f"{document.name} was not signed")
        self.assertEqual(self.anna.state, "to_sign")
        self.assertEqual(self.other_line.state, "to_sign")
        events = self.foreign.event_ids.filtered(
            lambda e: e.event_type in ("signed", "parapheur") and e.signer_id in self.anna | self.other_line
        )
        self.assertFalse(events, "no signature event for a foreign signer")
        lines = (
            self.env["esign.parapheur.batch.line"]
            .sudo()
            .search([("signer_id", "in", (self.anna | self.other_line).ids)])
        )
        self.assertFalse(lines, "no batch line points at a foreign signer")

    def test_legitimate_path_signs_only_my_turns(self):
        wizard_id = self.wizard(self.my_lines)
        wizard = self.send_code(wizard_id)
        self.assertEqual(wizard.step, "code")
        wizard = self.sign(wizard_id, self.last_code())
        batch = wizard.batch_id
        self.assertEqual(batch.state, "queued")
        self.assertEqual(batch.ip_address, "127.0.0.1")
        read = self.ok("esign.parapheur.batch", "search_read", [], ["name", "state", "line_ids"])
        self.assertEqual([row["id"] for row in read], batch.ids, "the signatory reads their own batch")
        self.assertEqual(len(self.ok("esign.parapheur.batch.line", "search_read", [], ["state"])), 2)
        self.env["esign.parapheur.batch"]._cron_sign_batches()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(batch.signed_count, 2)
        for document in self.mine.document_ids:
            names = [
                check.signer_name
                for check in check_pdf_signatures(document._current_pdf(), self.company._esign_trust_roots())
            ]
            self.assertIn("Sylvie Signataire", names)
            self.assertNotIn("Anna Keller", names)
        self.assert_foreign_untouched()
        # Another signatory reads nothing of it.
        self.authenticate("esign_other_signatory", "esign_other_signatory")
        self.assertFalse(self.ok("esign.parapheur.batch", "search_read", [], ["name"]))
        self.assertFalse(self.ok("esign.parapheur.batch.line", "search_read", [], ["state"]))
        self.refused("AccessError", "esign.parapheur.batch", "read", batch.ids, ["name"])

    def test_create_a_batch_over_rpc_is_refused(self):
        for lines in (self.anna | self.my_lines[:1], self.other_line, self.my_lines):
            self.refused(
                "AccessError",
                "esign.parapheur.batch",
                "create",
                {"line_ids": [Command.create({"signer_id": signer.id}) for signer in lines]},
            )
        self.refused("AccessError", "esign.parapheur.batch", "create", {"user_id": self.other_signatory.id})
        self.assertEqual(len(self.batches()), self.batch_count)
        message = self.refused("AccessError", "esign.parapheur.batch", "_create_from_signers", self.anna.ids)
        self.assertIn("cannot be called remotely", message)
        self.assert_foreign_untouched()

    def test_write_a_batch_over_rpc_is_refused(self):
        wizard = self.send_code(self.wizard(self.my_lines))
        batch = wizard.batch_id
        own_line = batch.line_ids[:1]
        attempts = [
            {"line_ids": [Command.create({"signer_id": self.anna.id})]},
            {"line_ids": [Command.link(own_line.id)]},
            {"line_ids": [Command.set([])]},
            {"state": "queued"},
            {"user_id": self.other_signatory.id},
            {"company_id": self.company.id},
            {"mobile_masked": "+33 6•• •• •• 00"},
            {"confirmed_date": "2026-01-01 00:00:00"},
            {"ip_address": "10.0.0.1"},
            {"user_agent": "forged"},
        ]
        for vals in attempts:
            self.refused("AccessError", "esign.parapheur.batch", "write", batch.ids, vals)
        self.refused("AccessError", "esign.parapheur.batch", "copy", batch.ids)
        self.refused("AccessError", "esign.parapheur.batch", "unlink", batch.ids)
        self.env.invalidate_all()
        self.assertEqual((batch.state, batch.user_id, len(batch.line_ids)), ("draft", self.signatory, 2))
        # The code's own record is out of reach too.
        otp = self.env["esign.otp"].sudo().search([("batch_id", "=", batch.id)])
        self.assertEqual(len(otp), 1)
        self.refused("AccessError", "esign.otp", "write", otp.ids, {"attempts": 0})
        self.refused("AccessError", "esign.otp", "create", {"batch_id": batch.id, "salt": "x", "code_hash": "y"})
        self.refused("AccessError", "esign.otp", "search_read", [], ["code_hash"])
        self.assert_foreign_untouched()

    def test_lines_are_made_by_the_parapheur_only(self):
        wizard = self.send_code(self.wizard(self.my_lines[:1]))
        batch = wizard.batch_id
        self.refused(
            "AccessError", "esign.parapheur.batch.line", "create", {"batch_id": batch.id, "signer_id": self.anna.id}
        )
        line = batch.line_ids
        for vals in ({"signer_id": self.anna.id}, {"batch_id": batch.id}, {"state": "signed"}, {"message": "x"}):
            self.refused("AccessError", "esign.parapheur.batch.line", "write", line.ids, vals)
        self.refused("AccessError", "esign.parapheur.batch.line", "unlink", line.ids)
        # Even the superuser's ORM writes go through the workflow only.
        with self.assertRaisesRegex(Exception, "only be changed by the signature workflow"):
            line.sudo().write({"signer_id": self.anna.id})
        with self.assertRaisesRegex(Exception, "made by the parapheur only"):
            self.env["esign.parapheur.batch.line"].sudo().create({"batch_id": batch.id, "signer_id": self.anna.id})
        self.env.invalidate_all()
        self.assertEqual(batch.line_ids.signer_id, self.my_lines[:1])
        code = self.last_code()
        self.assertEqual(self.sign(wizard.id, code).batch_id.state, "queued")
        self.env["esign.parapheur.batch"]._cron_sign_batches()
        self.assert_foreign_untouched()

    def test_wizard_with_a_foreign_signer_is_refused_before_any_sms(self):
        for foreign in (self.anna, self.other_line):
            wizard_id = self.wizard(self.my_lines | foreign)
            message = self.refused("UserError", "esign.parapheur.sign", "action_send_code", [wizard_id])
            self.assertIn("no longer waiting for your signature", message)
            self.assertIn(foreign.collection_id.name, message)
        # The selection written straight into the wizard fares no better.
        wizard_id = self.ok(
            "esign.parapheur.sign", "create", {"signer_ids": [Command.set((self.my_lines | self.anna).ids)]}
        )
        self.refused("UserError", "esign.parapheur.sign", "action_send_code", [wizard_id])
        # Nor pointing a wizard at another signatory's batch.
        other_batch = (
            self.env["esign.parapheur.batch"].with_user(self.other_signatory)._create_from_signers(self.other_line)
        )
        wizard_id = self.ok("esign.parapheur.sign", "create", {"batch_id": other_batch.id})
        message = self.refused("UserError", "esign.parapheur.sign", "action_send_code", [wizard_id])
        self.assertIn("Only Olivier Autre can sign this batch", message)
        self.assertFalse(self.sms_server.requests, "no SMS sent")
        self.assertEqual(len(self.batches()), self.batch_count + 1, "only the other signatory's own batch")
        self.assertEqual(other_batch.line_ids.signer_id, self.other_line)

    def test_a_line_whose_signer_changed_is_not_signed(self):
        wizard_id = self.wizard(self.my_lines)
        self.send_code(wizard_id)
        code = self.last_code()
        wizard = self.sign(wizard_id, code)
        batch = wizard.batch_id
        self.assertEqual(batch.state, "queued")
        # After the confirmation, the preparer puts Anna Keller in the signatory's place on one collection.
        changed, kept = self.my_lines
        self.swap_signer(changed, self.client_ch)
        self.assertEqual(changed.name, "Anna Keller")
        self.env["esign.parapheur.batch"]._cron_sign_batches()
        self.env["esign.collection"]._cron_seal()
        line = batch.line_ids.filtered(lambda entry: entry.signer_id == changed)
        self.assertEqual(line.state, "skipped")
        self.assertIn("does not wait for the signature of Sylvie Signataire", line.message)
        self.assertEqual(changed.state, "to_sign")
        self.assertEqual(kept.state, "signed")
        self.assertFalse(
            changed.collection_id.event_ids.filtered(
                lambda e: e.event_type in ("signed", "parapheur") and e.signer_id == changed
            )
        )
        for document in changed.collection_id.document_ids:
            names = [
                check.signer_name
                for check in check_pdf_signatures(document._current_pdf(), self.company._esign_trust_roots())
            ]
            self.assertNotIn("Anna Keller", names)
        self.assert_foreign_untouched()

    def test_a_signer_changed_before_the_code_is_refused(self):
        wizard_id = self.wizard(self.my_lines)
        changed = self.my_lines[0]
        self.swap_signer(changed, self.client_ch)
        message = self.refused("UserError", "esign.parapheur.sign", "action_send_code", [wizard_id])
        self.assertIn("no longer waiting for your signature", message)
        self.assertFalse(self.sms_server.requests)
        # Changed between the code and its confirmation: nothing is queued, the code stays unspent.
        self.swap_signer(changed, self.signatory.partner_id)
        wizard = self.send_code(wizard_id)
        code = self.last_code()
        self.swap_signer(changed, self.client_ch)
        self.ok("esign.parapheur.sign", "write", [wizard_id], {"code": code})
        message = self.refused("UserError", "esign.parapheur.sign", "action_sign", [wizard_id])
        self.assertIn(changed.collection_id.name, message)
        self.env.invalidate_all()
        self.assertEqual(wizard.batch_id.state, "draft")
        self.assertEqual(self.env["esign.parapheur.batch"]._cron_sign_batches(), 0)
        self.assertFalse(
            changed.collection_id.event_ids.filtered(
                lambda e: e.event_type in ("signed", "parapheur") and e.signer_id == changed
            )
        )

    def test_managers_read_batches_of_their_companies_only(self):
        wizard = self.send_code(self.wizard(self.my_lines))
        batch = wizard.batch_id
        self.authenticate("esign_manager", "esign_manager")
        self.assertEqual(self.ok("esign.parapheur.batch", "search", []), batch.ids, "read only, for oversight")
        self.refused("AccessError", "esign.parapheur.batch", "write", batch.ids, {"state": "queued"})
        self.refused("AccessError", "esign.parapheur.batch.line", "write", batch.line_ids.ids, {"state": "signed"})
        self.refused("AccessError", "esign.otp", "search_read", [], ["code_hash"])
        other_company = self.env["res.company"].create({"name": "Autre cabinet"})
        new_test_user(
            self.env,
            login="esign_other_manager",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
            groups="base.group_user,engagement_letter_esign.group_esign_manager",
        )
        self.authenticate("esign_other_manager", "esign_other_manager")
        self.assertFalse(self.ok("esign.parapheur.batch", "search", []))
        self.assertFalse(self.ok("esign.parapheur.batch.line", "search", []))
        self.assertFalse(self.ok("esign.otp", "search", []))
        self.env.invalidate_all()
        self.assertEqual(batch.state, "draft")
