from datetime import datetime

from odoo import SUPERUSER_ID
from odoo.api import Environment
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, freeze_time, tagged
from odoo.tests.common import get_db_name

from .common import EsignCase, sign


@tagged("post_install", "-at_install")
class TestCrons(EsignCase):
    def _launched(self, when="2026-03-01 09:00:00", **values):
        collection = self.make_collection(**values)
        with freeze_time(when):
            collection.action_launch()
        return collection

    def test_expiry_on_both_sides_of_the_deadline(self):
        collection = self._launched()
        self.assertEqual(collection.deadline, datetime(2026, 3, 16, 9, 0))
        with freeze_time("2026-03-16 08:59:59"):
            self.assertEqual(self.env["esign.collection"]._cron_expire(), 0)
        self.assertEqual(collection.state, "in_progress")
        with freeze_time("2026-03-16 09:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_expire(), 1)
        self.assertEqual(collection.state, "expired")
        self.assertEqual(collection.outcome, "expired")
        self.assertEqual(collection.purge_date, datetime(2026, 4, 15, 9, 0))
        self.assertIn("expired", collection.event_ids.mapped("event_type"))
        activity = collection.activity_ids
        self.assertEqual(activity.user_id, self.preparer, "the preparer gets a to-do on the expired collection")
        self.assertIn("The deadline passed", collection.message_ids[0].body)
        with freeze_time("2026-03-17 09:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_expire(), 0, "a second run has nothing to do")
        self.assertEqual(collection.event_ids.mapped("event_type").count("expired"), 1)

    def test_reminded_collection_does_not_expire_at_first_deadline(self):
        collection = self._launched()
        with freeze_time("2026-03-10 09:00:00"):
            collection.action_remind()
        with freeze_time("2026-03-20 09:00:00"):
            self.env["esign.collection"]._cron_expire()
        self.assertEqual(collection.state, "in_progress")

    def test_expiry_in_batches_reports_progress(self):
        collections = self._launched() | self._launched() | self._launched()
        progress = self.record_cron_progress()
        with freeze_time("2026-04-01 00:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_expire(batch_size=2), 3)
        self.assertEqual(set(collections.mapped("state")), {"expired"})
        self.assertEqual(progress, [(2, 1), (3, 0)], "each batch reported once, the last says nothing is left")

    def test_purge_removes_files_and_keeps_evidence(self):
        collection = self._launched()
        client, firm = collection.signer_ids.sorted("signing_order")
        with freeze_time("2026-03-02 10:00:00"):
            sign(client)
            sign(firm.with_user(self.signatory))
            self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        document = collection.document_ids
        original_hash = document.original_sha256
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "esign.document"), ("res_id", "=", document.id), ("res_field", "!=", False)])
        )
        self.assertTrue(attachments)
        with freeze_time("2026-04-01 09:59:59"):
            self.assertEqual(self.env["esign.collection"]._cron_purge(), 0, "kept one month after the end")
        with freeze_time("2026-04-01 10:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_purge(), 1)
        self.assertEqual(collection.state, "purged")
        self.assertEqual(collection.outcome, "done", "how it ended is kept")
        self.assertFalse(attachments.exists(), "the PDF files are deleted")
        self.assertFalse(document.original_pdf)
        self.assertTrue(document.purged)
        self.assertEqual(document.original_sha256, original_hash, "hashes are kept")
        self.assertEqual(collection.event_ids.mapped("event_type")[-1], "purged")
        self.assertFalse(collection._verify_event_chain(), "the proof journal survives, intact")
        with freeze_time("2026-05-01 10:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_purge(), 0)

    def test_purge_applies_to_refused_and_cancelled(self):
        refused = self._launched()
        refused.signer_ids[0]._action_refuse("Non merci")
        cancelled = self.make_collection()
        cancelled._action_cancel("Doublon")
        with freeze_time("2099-01-01"):
            self.env["esign.collection"]._cron_purge()
        self.assertEqual((refused.state, cancelled.state), ("purged", "purged"))
        self.assertEqual((refused.outcome, cancelled.outcome), ("refused", "cancelled"))

    def test_automatic_reminders_only_when_turned_on(self):
        collection = self._launched()
        client = collection.signer_ids.sorted("signing_order")[0]
        mails = self.env["mail.mail"].search([("email_to", "=", client.email)])
        with freeze_time("2026-03-05 09:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_remind(), 0, "off by default")
        self.company.esign_auto_reminder_days = 3
        with freeze_time("2026-03-03 09:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_remind(), 0, "not yet three days")
        with freeze_time("2026-03-04 09:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_remind(), 1)
            self.assertEqual(self.env["esign.collection"]._cron_remind(), 0, "rerun-safe")
        self.assertEqual(
            len(self.env["mail.mail"].search([("email_to", "=", client.email)]) - mails), 1, "one reminder e-mail"
        )
        self.assertEqual(collection.deadline, datetime(2026, 3, 16, 9, 0), "automatic reminders keep the deadline")
        with freeze_time("2026-03-07 09:00:00"):
            self.assertEqual(self.env["esign.collection"]._cron_remind(), 1)


@tagged("post_install", "-at_install")
class TestCronConcurrency(BaseCase):
    """Two workers claiming due collections at once never get the same rows."""

    def test_two_workers_claim_disjoint_batches(self):
        registry = Registry(get_db_name())
        with registry.cursor() as setup_cr:
            setup_cr.execute("SELECT id FROM res_company ORDER BY id LIMIT 1")
            company_id = setup_cr.fetchone()[0]
            setup_cr.execute(
                """
                INSERT INTO esign_collection (name, subject, state, company_id, user_id, deadline, reminder_count)
                SELECT 'CONC/' || n, 'concurrency', 'in_progress', %s, 1, '2000-01-01', 0
                  FROM generate_series(1, 6) n RETURNING id
                """,
                [company_id],
            )
            ids = [row[0] for row in setup_cr.fetchall()]
        try:
            with registry.cursor() as cr_a, registry.cursor() as cr_b:
                condition = "state = 'in_progress' AND deadline <= %s AND subject = 'concurrency'"
                collections_a = Environment(cr_a, SUPERUSER_ID, {})["esign.collection"]
                collections_b = Environment(cr_b, SUPERUSER_ID, {})["esign.collection"]
                claim_a = collections_a._esign_claim(collections_a._due(condition, "2001-01-01"), 4)
                claim_b = collections_b._esign_claim(collections_b._due(condition, "2001-01-01"), 4)
                self.assertEqual(len(claim_a), 4)
                self.assertEqual(len(claim_b), 2, "worker B skips the rows worker A holds")
                self.assertFalse(set(claim_a.ids) & set(claim_b.ids))
                cr_a.rollback()
                cr_b.rollback()
        finally:
            with registry.cursor() as cleanup_cr:
                cleanup_cr.execute("DELETE FROM esign_collection WHERE id = ANY(%s)", [ids])
