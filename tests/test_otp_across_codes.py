import base64
import importlib.util
import os
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, freeze_time, tagged

from .common import EsignCase, make_png
from .test_parapheur_attacks import ParapheurRpcMixin
from .test_signing_page import EsignPortalMixin


def wrong(code):
    return "000000" if code != "000000" else "111111"


def event_count(collection, event_type, signer=None):
    events = collection.event_ids.filtered(lambda e: e.event_type == event_type)
    if signer is not None:
        events = events.filtered(lambda e: e.signer_id == signer)
    return len(events)


@tagged("post_install", "-at_install")
class TestSignerTriesAcrossCodes(EsignPortalMixin, HttpCase, EsignCase):
    """A signer cannot guess on and on by asking for new codes: their wrong tries add up."""

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)
        self.company.sudo().esign_otp_resend_seconds = 0

    def test_fifteen_wrong_tries_over_four_codes_block_the_signer(self):
        collection, client, _firm = self.launch()
        link = self.link(client)
        signature = base64.b64encode(make_png()).decode()
        errors = []
        for tries in (4, 4, 4, 3):
            self.assertIn("masked", self.rpc(f"{link}/code"), "a new code before the code is locked")
            code = self.last_code()
            for _attempt in range(tries):
                result = self.rpc(f"{link}/sign", code=wrong(code), signature=signature, accepted=True)
                errors.append(result["error"])
        self.assertIn("not right: 4 tries left", errors[0])
        self.assertIn("not right: 1 tries left", errors[13], "the last try before blocking, whatever the code")
        self.assertIn("blocked", errors[14])
        self.env.invalidate_all()
        codes = self.env["esign.otp"].sudo().search([("signer_id", "=", client.id)])
        self.assertEqual(codes.mapped("attempts"), [3, 4, 4, 4], "a replaced code keeps its wrong tries")
        self.assertEqual(codes.mapped("state"), ["locked", "replaced", "replaced", "replaced"])
        self.assertEqual(client._signing_status(), "blocked")
        self.assertIn("no longer be made", self.rpc(f"{link}/code")["error"])
        self.assertEqual(len(self.sms_server.requests), 4, "no SMS once blocked")
        self.assertEqual(client.state, "to_sign")
        self.assertEqual(event_count(collection, "otp_sent", client), 4)
        self.assertEqual(event_count(collection, "otp_failed", client), 15)
        self.assertEqual(event_count(collection, "otp_locked", client), 1)
        self.assertEqual(event_count(collection, "signer_blocked", client), 1)
        self.assertFalse(event_count(collection, "signed", client))
        activity = collection.activity_ids.filtered(lambda a: "blocked" in (a.summary or ""))
        self.assertEqual(activity.user_id, self.preparer)
        self.assertIn("entered too many wrong codes", collection.message_ids[0].body)

    def test_the_limit_follows_the_settings(self):
        self.company.sudo().write({"esign_otp_max_attempts": 2, "esign_otp_max_locked": 2})
        collection, client, _firm = self.launch()
        link = self.link(client)
        for _code in range(3):
            self.rpc(f"{link}/code")
            result = self.rpc(
                f"{link}/sign",
                code=wrong(self.last_code()),
                signature=base64.b64encode(make_png()).decode(),
                accepted=True,
            )
        self.assertIn("not right: 1 tries left", result["error"])
        self.rpc(f"{link}/code")
        result = self.rpc(
            f"{link}/sign", code=wrong(self.last_code()), signature=base64.b64encode(make_png()).decode(), accepted=True
        )
        self.assertIn("blocked", result["error"], "2 x 2 wrong tries over four codes")
        self.assertEqual(event_count(collection, "signer_blocked", client), 1)


@tagged("post_install", "-at_install")
class TestParapheurCodes(ParapheurRpcMixin, HttpCase, EsignCase):
    """The parapheur's codes are one-time codes like the signers': same limits, same proof, over HTTP."""

    def setUp(self):
        super().setUp()
        self.company.sudo().esign_otp_resend_seconds = 0

    def test_code_events_land_on_every_collection_of_the_batch(self):
        wizard_id = self.wizard(self.my_lines)
        self.send_code(wizard_id)
        code = self.last_code()
        self.sign(wizard_id, wrong(code))
        wizard = self.sign(wizard_id, code)
        self.assertEqual(wizard.batch_id.state, "queued")
        otp = self.env["esign.otp"].sudo().search([("batch_id", "=", wizard.batch_id.id)])
        self.assertEqual(
            (otp.state, otp.attempts, otp.user_id, otp.company_id), ("used", 1, self.signatory, self.company)
        )
        self.assertFalse(otp.signer_id)
        for line in self.my_lines:
            collection = line.collection_id
            for event_type in ("otp_sent", "otp_failed", "otp_verified"):
                self.assertEqual(event_count(collection, event_type, line), 1, event_type)
            sent = collection.event_ids.filtered(lambda e: e.event_type == "otp_sent")
            self.assertIn(wizard.batch_id.name, sent.description)
            self.assertEqual(sent.actor_user_id, self.signatory)
            self.assertEqual(sent.ip_address, "127.0.0.1")
            self.assertFalse(collection._verify_event_chain(), "the journal's chain holds")

    def test_wrong_tries_across_batch_codes_block_the_owner(self):
        wizard_id = self.wizard(self.my_lines)
        errors = []
        for tries in (4, 4, 4, 3):
            wizard = self.send_code(wizard_id)
            self.assertFalse(wizard.error)
            code = self.last_code()
            for _attempt in range(tries):
                errors.append(self.sign(wizard_id, wrong(code)).error)
        self.assertEqual(errors[0], "Wrong code. 4 tries left.")
        self.assertEqual(errors[13], "Wrong code. 1 tries left.")
        self.assertIn("blocked for your safety for 24 hours", errors[14])
        self.assertIn("blocked", self.sign(wizard_id, code).error, "not even the right code of the last SMS")
        self.assertIn("blocked", self.send_code(wizard_id).error)
        # A new batch does not start the count again: the signatory is blocked, not the batch.
        other_wizard = self.send_code(self.wizard(self.my_lines))
        self.assertIn("blocked", other_wizard.error)
        self.assertEqual(len(self.sms_server.requests), 4)
        self.assertEqual(wizard.batch_id.state, "draft")
        self.assertEqual(self.env["esign.parapheur.batch"]._cron_sign_batches(), 0)
        for line in self.my_lines:
            collection = line.collection_id
            self.assertEqual(event_count(collection, "otp_sent", line), 4)
            self.assertEqual(event_count(collection, "otp_failed", line), 15)
            self.assertEqual(event_count(collection, "otp_locked", line), 1)
            self.assertEqual(event_count(collection, "signer_blocked", line), 1)
            self.assertEqual(event_count(collection, "otp_refused", line), 2)
            self.assertFalse(event_count(collection, "signed", line))
            activity = collection.activity_ids.filtered(lambda a: "blocked in the parapheur" in (a.summary or ""))
            self.assertEqual(activity.user_id, self.preparer)
            self.assertIn("Sylvie Signataire entered too many wrong codes", collection.message_ids[0].body)
        # The window slides: a day later the parapheur opens again.
        batch = wizard.batch_id.with_user(self.signatory)
        with freeze_time(fields.Datetime.now() + timedelta(hours=25)):
            self.assertFalse(batch._send_code())
            self.assertFalse(batch._confirm(self.last_code()))
        self.assertEqual(batch.state, "queued")

    def test_wrong_tries_of_two_batches_add_up(self):
        first, second = self.wizard(self.my_lines[0]), self.wizard(self.my_lines[1])
        for wizard_id in (first, second, first):
            self.send_code(wizard_id)
            code = self.last_code()
            for _attempt in range(5):
                error = self.sign(wizard_id, wrong(code)).error
        self.assertIn("blocked for your safety", error)
        self.assertIn("blocked", self.send_code(second).error)
        blocked_on, refused_on = self.my_lines
        self.assertEqual(event_count(blocked_on.collection_id, "signer_blocked", blocked_on), 1)
        self.assertEqual(event_count(refused_on.collection_id, "otp_refused", refused_on), 1)
        self.assertEqual(event_count(refused_on.collection_id, "otp_failed", refused_on), 5)

    def test_hourly_limits_apply_to_batches(self):
        first, second = self.wizard(self.my_lines[0]), self.wizard(self.my_lines[1])
        for wizard_id in (first, first, second, second, first):
            self.assertFalse(self.send_code(wizard_id).error)
        wizard = self.send_code(second)
        self.assertEqual(wizard.error, "You asked for too many codes: please try again in an hour.")
        self.assertEqual(len(self.sms_server.requests), 5, "five codes an hour, across the signatory's batches")
        collection = self.my_lines[1].collection_id
        refused = collection.event_ids.filtered(lambda e: e.event_type == "otp_refused")
        self.assertEqual(refused.description, wizard.error)

    def test_resend_wait_applies_across_batches(self):
        self.company.sudo().esign_otp_resend_seconds = 60
        first, second = self.wizard(self.my_lines[0]), self.wizard(self.my_lines[1])
        self.assertFalse(self.send_code(first).error)
        self.assertRegex(self.send_code(second).error, r"Wait \d+ seconds before asking for a new code")

    def test_limit_per_connection_counts_signers_and_batches(self):
        self.company.sudo().esign_otp_hourly_limit = 1
        clients = self.mine.signer_ids.filtered(lambda s: s.role == "client") | self.anna
        clients |= self.other_collection.signer_ids.filtered(lambda s: s.role == "client")
        for client in clients:
            self.assertIn("masked", self.env["esign.otp"]._request_for(client, ip_address="127.0.0.1"))
        wizard = self.send_code(self.wizard(self.my_lines))
        self.assertEqual(wizard.error, "Too many codes were asked from your connection: please try again in an hour.")
        self.assertEqual(len(self.sms_server.requests), len(clients))


@tagged("post_install", "-at_install")
class TestParapheurCodeMigration(EsignCase):
    def test_update_drops_the_parapheur_code_columns(self):
        path = os.path.join(os.path.dirname(__file__), "..", "migrations", "18.0.1.2.0", "post-20-otp.py")
        spec = importlib.util.spec_from_file_location("esign_migration_18_0_1_2_0_otp", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        cr = self.env.cr
        cr.execute("ALTER TABLE esign_parapheur_batch ADD COLUMN code_digest varchar, ADD COLUMN code_failures integer")
        migration.migrate(cr, "18.0.1.1.0")
        migration.migrate(cr, "18.0.1.1.0")
        cr.execute(
            """
            SELECT column_name FROM information_schema.columns
             WHERE table_name = 'esign_parapheur_batch' AND column_name LIKE 'code%%'
            """
        )
        self.assertFalse(cr.fetchall())
