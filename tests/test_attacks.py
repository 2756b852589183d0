"""The proof attacked over HTTP as each role would: RPC writes of workflow fields, deletions of proof
records, replaced files, forged events, hostile inputs. Each must be refused and change nothing."""

import base64
import json

from odoo import Command
from odoo.http import Request
from odoo.tests import HttpCase, new_test_user, tagged

from .common import EsignCase, as_signer, make_pdf, make_png
from .test_engagement_letter import EngagementLetterCase
from .test_signing_page import EsignPortalMixin

FORGED_PDF = base64.b64encode(make_pdf(1, "Document falsifié")).decode()


class RpcAttackMixin:
    """RPC calls made as the web client makes them, and what a refusal looks like."""

    def call_kw(self, model, method, args, kwargs=None):
        """One RPC call as the web client makes it; the JSON-RPC answer (result or error)."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def assert_refused(self, answer, label):
        self.assertIn("error", answer, f"{label}: accepted ({answer.get('result')!r})")
        data = answer["error"]["data"]
        self.assertIn(
            data["name"].rsplit(".", 1)[-1],
            ("AccessError", "UserError", "ValidationError", "MissingError"),
            f"{label}: {data['name']}",
        )
        self.assertTrue(data["message"].strip(), f"{label}: a clear message")


@tagged("post_install", "-at_install")
class TestAttacksOverRpc(RpcAttackMixin, EsignPortalMixin, HttpCase, EsignCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Cabinet Voisin"})
        cls.other_manager = new_test_user(
            cls.env,
            login="esign_attack_other",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
            groups="base.group_user,engagement_letter_esign.group_esign_manager",
        )
        cls.portal_user = new_test_user(cls.env, login="esign_attack_portal", groups="base.group_portal")
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.write({"password": "esign_attack_admin", "login": "esign_attack_admin"})
        # A done collection: signed by the client and the firm, sealed, with its evidence report.
        cls.done = cls.make_collection()
        cls.done.action_launch()
        for signer in cls.done.signer_ids.sorted("signing_order"):
            as_signer(signer)._sign_checked(signature_image=make_png())
        cls.env["esign.collection"]._cron_seal()
        cls.done._attach_evidence_report()
        # A collection in progress: the client's turn.
        cls.running = cls.make_collection()
        cls.running.action_launch()
        cls.draft = cls.make_collection()

    def snapshot(self):
        """What the proof of the collections holds, read from the database."""
        self.env.invalidate_all()
        collections = self.done | self.running | self.draft
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "esign.document"), ("res_id", "in", collections.document_ids.ids)])
        )
        return {
            "collections": [
                (c.state, c.deadline, c.subject, c.evidence_report_id.checksum, c.end_date) for c in collections
            ],
            "count": self.env["esign.collection"].sudo().search_count([]),
            "signers": [
                (s.state, s.signed_date, s.mobile, s.email, s.signature_notice_due, s.invitation_due)
                for s in collections.signer_ids
            ],
            "documents": [(d.signed_sha256, d.sealed_date, d.original_sha256) for d in collections.document_ids],
            "files": sorted((a.res_field, a.checksum) for a in attachments),
            "events": [(e.sequence, e.hash) for e in self.env["esign.event"].sudo().search([])],
        }

    def workflow_attacks(self):
        done, running = self.done, self.running
        client = done.signer_ids.filtered(lambda s: s.role == "client")
        pending = running.signer_ids.filtered(lambda s: s.state == "to_sign")
        running_firm = running.signer_ids.filtered(lambda s: s.role == "firm")
        document = done.document_ids
        event = done.event_ids[:1]
        signed_file = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", "esign.document"), ("res_id", "=", document.id), ("res_field", "=", "signed_pdf")]
            )
        )
        report = done.evidence_report_id
        return [
            ("esign.collection", "write", [done.ids, {"state": "draft"}]),
            ("esign.collection", "write", [done.ids, {"evidence_report_id": False}]),
            ("esign.collection", "write", [running.ids, {"state": "done"}]),
            ("esign.collection", "write", [running.ids, {"deadline": "2099-01-01 00:00:00"}]),
            ("esign.collection", "write", [running.ids, {"subject": "Autre objet"}]),
            ("esign.collection", "unlink", [done.ids]),
            ("esign.collection", "unlink", [running.ids]),
            ("esign.collection", "copy", [done.ids], {"default": {"state": "done"}}),
            ("esign.collection", "create", [[{"subject": "Faux", "state": "done"}]]),
            ("esign.signer", "write", [pending.ids, {"state": "signed"}]),
            ("esign.signer", "write", [client.ids, {"signed_date": "2020-01-01 00:00:00"}]),
            ("esign.signer", "write", [pending.ids, {"access_token_hashes": "0" * 64}]),
            ("esign.signer", "write", [pending.ids, {"collection_id": self.draft.id}]),
            # The queue of what signatures tell: a forged "signed" message or a second invitation.
            ("esign.signer", "write", [client.ids, {"signature_notice_due": True}]),
            ("esign.signer", "write", [pending.ids, {"invitation_due": True}]),
            # The signing step and the queue are the workflow's, never a method an RPC caller reaches.
            ("esign.signer", "_sign_checked", [pending.ids]),
            ("esign.signer", "_sign_in_turn", [pending.ids, None, {}]),
            ("esign.signer", "_sign_with_code", [pending.ids, "000000", "x", True]),
            ("esign.signer", "_send_due_notifications", [pending.ids]),
            ("esign.signer", "_cron_send_notifications", [[]]),
            ("esign.signer", "write", [client.ids, {"email": "autre@example.com"}]),
            ("esign.signer", "write", [running_firm.ids, {"name": "Anna Keller"}]),
            ("esign.signer", "unlink", [client.ids]),
            (
                "esign.signer",
                "create",
                [[{"collection_id": running.id, "name": "Intrus", "email": "x@example.com", "state": "to_sign"}]],
            ),
            ("esign.document", "write", [document.ids, {"signed_pdf": FORGED_PDF, "signed_sha256": "0" * 64}]),
            ("esign.document", "write", [document.ids, {"original_pdf": FORGED_PDF}]),
            ("esign.document", "write", [document.ids, {"sealed_date": False}]),
            ("esign.document", "unlink", [document.ids]),
            ("esign.event", "write", [event.ids, {"description": "falsifié"}]),
            ("esign.event", "unlink", [done.event_ids.ids]),
            ("esign.event", "create", [[{"collection_id": done.id, "event_type": "signed"}]]),
            ("ir.attachment", "write", [signed_file.ids, {"datas": FORGED_PDF}]),
            ("ir.attachment", "unlink", [signed_file.ids]),
            ("ir.attachment", "write", [report.ids, {"datas": FORGED_PDF}]),
            ("ir.attachment", "unlink", [report.ids]),
            (
                "ir.attachment",
                "create",
                [
                    [
                        {
                            "name": "faux.pdf",
                            "datas": FORGED_PDF,
                            "res_model": "esign.document",
                            "res_id": document.id,
                            "res_field": "signed_pdf",
                        }
                    ]
                ],
            ),
        ]

    def test_placement_layout_journal_version_and_demo_gateway_refused_over_rpc(self):
        """This session's fields: a launched document's placement and every layout are the workflow's,
        a journal event's digest version cannot be changed, the demonstration SMS gateway cannot be
        chosen in a database without demonstration data; as each role, over RPC."""
        self.env["ir.module.module"].search([("name", "=", "base")]).demo = False
        running_doc = self.running.document_ids[:1]
        draft_doc = self.draft.document_ids[:1]
        event = self.running.event_ids[:1]
        before = (running_doc.stamp_placement, running_doc.stamp_page, running_doc.stamp_layout, draft_doc.stamp_layout)
        for login, password in (
            ("esign_preparer", "esign_preparer"),
            ("esign_manager", "esign_manager"),
            ("esign_attack_admin", "esign_attack_admin"),
        ):
            self.authenticate(login, password)
            attacks = [
                ("esign.document", "write", [running_doc.ids, {"stamp_placement": "page", "stamp_page": 1}]),
                ("esign.document", "write", [running_doc.ids, {"stamp_layout": "[]"}]),
                ("esign.document", "write", [draft_doc.ids, {"stamp_layout": '[{"page": 0}]'}]),
                ("esign.event", "write", [event.ids, {"hash_version": 1}]),
                ("res.company", "write", [self.company.ids, {"esign_sms_gateway": "demo"}]),
            ]
            for model, method, args in attacks:
                label = f"{login}: {model}.{method}{tuple(args[1:])}"
                with self.subTest(attack=label):
                    self.assert_refused(self.call_kw(model, method, args), label)
        self.env.invalidate_all()
        after = (running_doc.stamp_placement, running_doc.stamp_page, running_doc.stamp_layout, draft_doc.stamp_layout)
        self.assertEqual(after, before)
        self.assertEqual(event.hash_version, 2)
        self.assertNotEqual(self.company.esign_sms_gateway, "demo")

    def attack_as(self, login, password):
        self.authenticate(login, password)
        before = self.snapshot()
        for model, method, args, *kwargs in self.workflow_attacks():
            label = f"{login}: {model}.{method}{tuple(args[1:]) if method == 'write' else ''}"
            with self.subTest(attack=label):
                self.assert_refused(self.call_kw(model, method, args, *kwargs), label)
        self.assertEqual(self.snapshot(), before, f"{login}: the proof is as it was")

    def test_preparer_cannot_rewrite_the_proof(self):
        self.attack_as("esign_preparer", "esign_preparer")

    def test_cosigner_cannot_rewrite_the_proof(self):
        self.attack_as("esign_signatory", "esign_signatory")

    def test_manager_cannot_rewrite_the_proof(self):
        self.attack_as("esign_manager", "esign_manager")

    def test_administrator_cannot_rewrite_the_proof(self):
        self.attack_as("esign_attack_admin", "esign_attack_admin")

    def test_other_company_and_portal_user_reach_nothing(self):
        self.attack_as("esign_attack_other", "esign_attack_other")
        self.attack_as("esign_attack_portal", "esign_attack_portal")
        self.authenticate("esign_attack_portal", "esign_attack_portal")
        answer = self.call_kw("esign.collection", "search_read", [[]], {"fields": ["subject"]})
        self.assert_refused(answer, "portal search_read")

    def test_context_cannot_lift_the_guard(self):
        self.authenticate("esign_attack_admin", "esign_attack_admin")
        before = self.snapshot()
        for context in ({"esign_workflow": True}, {"tracking_disable": True, "install_mode": True}):
            answer = self.call_kw(
                "esign.collection", "write", [self.done.ids, {"state": "draft"}], {"context": context}
            )
            self.assert_refused(answer, f"write with {context}")
        answer = self.call_kw(
            "esign.collection", "create", [[{"subject": "Par défaut"}]], {"context": {"default_state": "done"}}
        )
        created = self.env["esign.collection"].browse(answer["result"])
        self.assertEqual(created.state, "draft", "a default_state context key is dropped")
        created.unlink()
        self.assertEqual(self.snapshot(), before)

    def test_cosigner_reads_what_they_sign_and_writes_nothing(self):
        self.authenticate("esign_signatory", "esign_signatory")
        before = self.snapshot()
        for method, records in (
            ("action_remind", self.running),
            ("action_launch", self.draft),
            ("action_mark_ready", self.draft),
            ("action_generate_evidence_report", self.done),
        ):
            with self.subTest(method=method):
                self.assert_refused(self.call_kw("esign.collection", method, [records.ids]), method)
        wizard = self.call_kw(
            "esign.collection.cancel", "create", [[{"collection_id": self.running.id, "reason": "Je cesse"}]]
        )
        self.assert_refused(self.call_kw("esign.collection.cancel", "action_confirm", [wizard["result"]]), "cancel")
        self.assertEqual(self.snapshot(), before, "nothing moved")
        client = self.running.signer_ids.filtered(lambda s: s.role == "client")
        self.assert_refused(
            self.call_kw("esign.collection", "write", [self.running.ids, {"copy_partner_ids": [Command.link(3)]}]),
            "co-signer writes the collection",
        )
        self.assert_refused(
            self.call_kw("esign.signer", "write", [client.ids, {"mobile": "+33699999999"}]),
            "co-signer writes the client's mobile",
        )
        self.assert_refused(
            self.call_kw("esign.signer", "read", [client.ids, ["mobile"]]), "co-signer reads the client"
        )
        answer = self.call_kw("esign.collection", "read", [self.running.ids, ["subject", "progress", "signer_ids"]])
        firm = self.running.signer_ids.filtered(lambda s: s.role == "firm")
        self.assertEqual(answer["result"][0]["subject"], self.running.subject, "they read what they must sign")
        self.assertEqual(answer["result"][0]["progress"], "0 / 2", "counted on the whole collection")
        self.assertEqual(answer["result"][0]["signer_ids"], firm.ids, "their own line only")
        journal = self.call_kw(
            "esign.event", "search_read", [[("collection_id", "=", self.running.id)]], {"fields": ["hash"]}
        )
        self.assertEqual(journal.get("result"), [], "co-signer reads no proof journal")

    def test_cosigner_copies_nothing(self):
        """A copy would hold every signer's contact, and become the co-signer's own draft."""
        self.authenticate("esign_signatory", "esign_signatory")
        count = self.env["esign.collection"].sudo().search_count([])
        self.assert_refused(self.call_kw("esign.collection", "copy_data", [self.done.ids]), "copy_data")
        self.assert_refused(
            self.call_kw("esign.collection", "copy", [self.done.ids], {"default": {"user_id": self.signatory.id}}),
            "copy",
        )
        self.assertEqual(self.env["esign.collection"].sudo().search_count([]), count)

    def test_preparer_is_a_user_of_the_firm_and_a_new_one_is_journaled(self):
        self.authenticate("esign_preparer", "esign_preparer")
        answer = self.call_kw("esign.collection", "write", [self.running.ids, {"user_id": self.portal_user.id}])
        self.assert_refused(answer, "portal user as preparer")
        answer = self.call_kw("esign.collection", "write", [self.running.ids, {"user_id": self.manager.id}])
        self.assertTrue(answer.get("result"), answer)
        event = self.running.sudo().event_ids.filtered(lambda e: e.event_type == "reassigned")
        self.assertIn("Marc Manager", event.description)

    def test_contact_change_after_launch_is_journaled(self):
        self.authenticate("esign_preparer", "esign_preparer")
        client = self.running.signer_ids.filtered(lambda s: s.role == "client")
        old_mobile = client.mobile
        answer = self.call_kw("esign.signer", "write", [client.ids, {"mobile": "+33 6 11 22 33 44"}])
        self.assertTrue(answer.get("result"), answer)
        event = self.running.event_ids.filtered(lambda e: e.event_type == "contact_changed")
        self.assertEqual(event.signer_id, client)
        self.assertIn(old_mobile, event.description)
        self.assertIn("+33611223344", event.description)
        self.assertFalse(self.running._verify_event_chain())
        note = self.running.message_ids.filtered(lambda m: "changed" in (m.body or ""))[:1]
        self.assertNotIn("+33611223344", note.body, "the chatter shows the mobile masked")


@tagged("post_install", "-at_install")
class TestHostileInputs(EsignPortalMixin, HttpCase, EsignCase):
    def setUp(self):
        super().setUp()
        self.authenticate(None, None)

    def test_wrong_types_on_the_signing_routes(self):
        collection, client, _firm = self.launch()
        link = self.link(client)
        self.rpc(f"{link}/code")
        good = {"code": self.last_code(), "signature": base64.b64encode(make_png()).decode(), "accepted": True}
        for field, value in (
            ("signature", 123),
            ("signature", ["a"]),
            ("signature", {"a": 1}),
            ("code", ["123456"]),
            ("code", {"x": 1}),
            ("code", True),
            ("accepted", "yes"),
            ("accepted", 1),
        ):
            with self.subTest(field=field, value=value):
                result = self.rpc(f"{link}/sign", **dict(good, **{field: value}))
                self.assertIn("error", result)
                self.assertNotIn("Traceback", json.dumps(result))
                self.assertNotIn("/odoo/", json.dumps(result), "no server path")
        result = self.rpc(f"{link}/sign", csrf_token=123, **good)
        self.assertEqual(result["error"], "This link is not valid: please reload the page.")
        self.assertEqual(client.state, "to_sign", "nothing was signed")
        self.assertEqual(self.rpc(f"{link}/sign", **good), {"signed": True, "redirect_url": link})
        self.assertEqual(collection.signer_ids.sorted("signing_order")[0].state, "signed")

    def test_control_characters_in_a_refusal_are_refused_on_the_page(self):
        _collection, client, _firm = self.launch()
        link = self.link(client)
        response = self.url_open(
            f"{link}/refuse",
            data={"reason": "Non\x00merci", "csrf_token": Request.csrf_token(self)},
            allow_redirects=True,
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("The reason cannot hold control characters.", response.text)
        self.assertEqual(client.state, "to_sign")

    def test_line_break_in_a_subject_is_refused_where_it_is_typed(self):
        self.authenticate("esign_preparer", "esign_preparer")
        for values in ({"subject": "Lettre\nBcc: x@example.com"}, {"subject": "Lettre", "email_subject": "A\r\nB"}):
            with self.subTest(values=values):
                response = self.url_open(
                    "/web/dataset/call_kw/esign.collection/create",
                    data=json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "method": "call",
                            "id": 1,
                            "params": {
                                "model": "esign.collection",
                                "method": "create",
                                "args": [[values]],
                                "kwargs": {},
                            },
                        }
                    ),
                    headers={"Content-Type": "application/json"},
                )
                error = response.json()["error"]["data"]
                self.assertEqual(error["name"], "odoo.exceptions.ValidationError")
                self.assertIn("single line", error["message"])
        self.assertFalse(self.env["esign.collection"].search([("subject", "like", "Lettre%")]))


@tagged("post_install", "-at_install")
class TestLetterAttacks(RpcAttackMixin, HttpCase, EngagementLetterCase):
    """A signed letter keeps what was signed: its PDF, fees, billing plan and the copies kept on it."""

    def signed_letter(self):
        letter = self.edited(self.make_letter())
        self.make_wizard(letter, auto_receive=True).action_prepare()
        letter.collection_id.with_user(self.preparer).action_launch()
        client, firm = letter.collection_id.signer_ids.sorted("signing_order")
        client._sign_checked()
        as_signer(firm)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.env["esign.collection"]._cron_evidence_reports()
        self.assertEqual(letter.state, "signed")
        self.assertTrue(letter.evidence_report_id, "the copy of the evidence report is kept on the letter")
        return letter

    def test_nobody_marks_a_letter_signed(self):
        letter = self.make_letter()
        other = self.make_collection()
        self.env.ref("base.user_admin").write({"login": "esign_letter_admin", "password": "esign_letter_admin"})
        for login in ("esign_preparer", "esign_manager", "esign_letter_admin"):
            self.authenticate(login, login)
            for values in ({"state": "signed"}, {"state": "client_signed"}, {"collection_id": other.id}):
                with self.subTest(login=login, values=values):
                    self.assert_refused(self.call_kw("engagement.letter", "write", [letter.ids, values]), login)
        letter.invalidate_recordset()
        self.assertEqual((letter.state, letter.collection_id), ("draft", self.env["esign.collection"]))
        self.assertFalse(letter.billing_line_ids, "no billing plan for a letter nobody signed")

    def test_signed_letter_keeps_its_files_fees_and_billing_plan(self):
        letter = self.signed_letter()
        self.env.ref("base.user_admin").write({"login": "esign_letter_admin", "password": "esign_letter_admin"})
        plan = letter.billing_line_ids
        before = (
            letter.signed_attachment_id.checksum,
            letter.evidence_report_id.checksum,
            letter.pdf,
            [(fee.name, fee.amount) for fee in letter.fee_line_ids],
            [(line.name, line.amount, line.due_date, line.state) for line in plan],
        )
        attacks = [
            ("ir.attachment", "write", [letter.signed_attachment_id.ids, {"datas": FORGED_PDF}]),
            ("ir.attachment", "unlink", [letter.signed_attachment_id.ids]),
            ("ir.attachment", "write", [letter.evidence_report_id.ids, {"datas": FORGED_PDF}]),
            ("ir.attachment", "unlink", [letter.evidence_report_id.ids]),
            ("engagement.letter", "write", [letter.ids, {"pdf": FORGED_PDF}]),
            ("engagement.letter", "write", [letter.ids, {"evidence_report_id": False}]),
            ("engagement.letter.fee.line", "write", [letter.fee_line_ids[:1].ids, {"amount": 1.0}]),
            ("engagement.letter.fee.line", "unlink", [letter.fee_line_ids[:1].ids]),
            (
                "engagement.letter.fee.line",
                "create",
                [[{"letter_id": letter.id, "name": "Ajout", "amount": 99999, "periodicity": "once"}]],
            ),
            ("engagement.letter.billing.line", "write", [plan[:1].ids, {"amount": 123456.0}]),
            ("engagement.letter.billing.line", "write", [plan[:1].ids, {"state": "invoiced"}]),
            ("engagement.letter.billing.line", "unlink", [plan[:1].ids]),
            (
                "engagement.letter.billing.line",
                "create",
                [[{"letter_id": letter.id, "name": "Faux", "amount": 50000, "due_date": "2026-01-01"}]],
            ),
        ]
        for login in ("esign_preparer", "esign_manager", "esign_letter_admin"):
            self.authenticate(login, login)
            for model, method, args in attacks:
                with self.subTest(login=login, attack=f"{model}.{method}"):
                    self.assert_refused(self.call_kw(model, method, args), f"{login} {model}.{method}")
        self.env.invalidate_all()
        after = (
            letter.signed_attachment_id.checksum,
            letter.evidence_report_id.checksum,
            letter.pdf,
            [(fee.name, fee.amount) for fee in letter.fee_line_ids],
            [(line.name, line.amount, line.due_date, line.state) for line in letter.billing_line_ids],
        )
        self.assertEqual(after, before)

    def test_fees_of_an_edited_letter_drop_its_pdf(self):
        letter = self.edited(self.make_letter())
        self.assertTrue(letter.pdf)
        letter.fee_line_ids[:1].with_user(self.preparer).write({"amount": 999.0})
        self.assertFalse(letter.pdf, "rendered again before it is sent")
