import base64
import subprocess
import tempfile
from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time
from odoo.tools.safe_eval import safe_eval

from .common import EsignCase, as_signer, sign


class EngagementLetterCase(EsignCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "engagement_signatory_id": cls.signatory.id,
                "company_legal_form": "SAS d'expertise comptable",
                "company_rcs": "RCS Paris 123 456 789",
                "company_accounting_order": "Conseil régional de l'Ordre de Paris Île-de-France",
                "vat": "FR40123456789",
            }
        )
        cls.client_company = cls.env["res.partner"].create(
            {"name": "Boulangerie Martin SARL", "is_company": True, "country_id": cls.env.ref("base.fr").id}
        )
        cls.client_fr.parent_id = cls.client_company
        cls.mission = cls.env.ref("engagement_letter_esign.mission_type_np2300")

    @classmethod
    def make_letter(cls, kind="final", fees=None, **values):
        fees = fees if fees is not None else [("Tenue et présentation des comptes", 250.0, "monthly")]
        return (
            cls.env["engagement.letter"]
            .with_user(cls.preparer)
            .create(
                {
                    "partner_id": cls.client_company.id,
                    "contact_id": cls.client_fr.id,
                    "mission_type_id": cls.mission.id,
                    "kind": kind,
                    "fiscal_year_start": date(2026, 1, 1),
                    "fiscal_year_end": date(2026, 12, 31),
                    "fee_line_ids": [
                        Command.create({"name": name, "amount": amount, "periodicity": periodicity})
                        for name, amount, periodicity in fees
                    ],
                    **values,
                }
            )
        )

    def make_wizard(self, letter, **values):
        return (
            self.env["engagement.letter.send.wizard"]
            .with_user(self.preparer)
            .create({"letter_id": letter.id, **values})
        )

    def edited(self, letter):
        """Mark as edited without rendering: the PDF test renders for real."""
        letter.write({"pdf": base64.b64encode(self.pdf)})
        letter._esign_write({"state": "edited"})
        return letter


class TestLetterPdf(EngagementLetterCase):
    def test_edit_renders_pdf_with_parties_and_fees(self):
        letter = self.make_letter(
            fees=[("Présentation des comptes annuels", 1800.0, "yearly"), ("Tenue mensuelle", 150.0, "monthly")]
        )
        # Odoo renders reports as HTML in tests unless told otherwise.
        letter.with_context(force_report_rendering=True).action_edit()
        self.assertEqual(letter.state, "edited")
        data = base64.b64decode(letter.pdf)
        self.assertTrue(data.startswith(b"%PDF"))
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
            pdf.write(data)
            pdf.flush()
            text = subprocess.run(["pdftotext", pdf.name, "-"], capture_output=True, check=True, text=True).stdout
        text = " ".join(text.split())
        for expected in (
            "Boulangerie Martin SARL",
            "Sophie Martin",
            self.company.name,
            "RCS Paris 123 456 789",
            "FR40123456789",
            "Présentation des comptes annuels",
            "Tenue mensuelle",
            "1,800.00",
            "3,600.00",
            "NP 2300",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("RCS RCS", text, "the register's name is printed once")

    def test_content_changed_after_edition_needs_a_new_pdf(self):
        letter = self.make_letter()
        letter.action_edit()
        letter.write({"manager_id": self.env.user.id})
        self.assertTrue(letter.pdf, "not what the PDF says")
        letter.write({"notice_months": letter.notice_months})
        self.assertTrue(letter.pdf, "the same value changes nothing")
        letter.write({"notice_months": letter.notice_months + 1})
        self.assertFalse(letter.pdf, "the PDF no longer says it")
        letter.action_send()
        self.assertEqual(letter.state, "edited")
        self.assertTrue(letter.pdf, "sent as it stands now")
        letter._esign_write({"state": "sent"})
        with self.assertRaisesRegex(UserError, "sent letter cannot change"):
            letter.write({"notice_months": 6})


class TestMandatoryContent(EngagementLetterCase):
    def test_missing_clauses_listed(self):
        letter = self.make_letter(fees=[], payment_terms=False, contact_id=False)
        self.edited(letter)
        with self.assertRaises(UserError) as error:
            letter.action_send()
        message = str(error.exception)
        self.assertIn("Client contact", message)
        self.assertIn("Payment terms", message)
        self.assertIn("Fees", message)
        self.assertNotIn("File manager", message)

    def test_complete_letter_opens_wizard(self):
        letter = self.edited(self.make_letter())
        action = letter.action_send()
        self.assertEqual(action["res_model"], "engagement.letter.send.wizard")

    def test_aml_gate(self):
        self.company.engagement_aml_required = True
        letter = self.edited(self.make_letter())
        with self.assertRaisesRegex(UserError, "Anti-money-laundering"):
            letter.action_send()
        self.client_company.write({"aml_check_date": date(2026, 1, 5), "aml_risk_level": "low"})
        self.assertTrue(letter.action_send())


class TestSendWizard(EngagementLetterCase):
    def assert_refused(self, wizard, message):
        before = self.env["esign.collection"].search_count([])
        with self.assertRaisesRegex(UserError, message):
            wizard.action_prepare()
        self.assertEqual(self.env["esign.collection"].search_count([]), before, "nothing is created")
        self.assertFalse(wizard.letter_id.collection_id)
        self.assertEqual(wizard.letter_id.state, "edited")

    def test_prerequisites(self):
        letter = self.edited(self.make_letter())
        wizard = self.make_wizard(letter)
        self.company.esign_enabled = False
        self.assert_refused(wizard, "Electronic signature is not enabled")
        self.company.esign_enabled = True
        # The wizard's firm signatory field, defaulted from the letter, is the one checked.
        wizard.signatory_id = False
        self.assert_refused(wizard, "No firm signatory")
        wizard.signatory_id = self.preparer
        self.assert_refused(wizard, "does not have the Signatory right")
        wizard.signatory_id = self.signatory
        self.signatory.partner_id.mobile = False
        self.assert_refused(wizard, "Sylvie Signataire has no mobile number")
        self.signatory.partner_id.mobile = "+33 1 42 00 00 00"
        self.assert_refused(wizard, "not a mobile number")
        self.signatory.partner_id.mobile = "+33 6 98 76 54 32"
        wizard.signer_contact_id = False
        self.assert_refused(wizard, "Choose the signer contact")
        contact = self.env["res.partner"].create(
            {"name": "Durand", "parent_id": self.client_company.id, "email": "bad", "mobile": "0612"}
        )
        wizard.signer_contact_id = contact
        self.assert_refused(wizard, "must have a first and a last name")
        self.assert_refused(wizard, "no valid e-mail address")
        self.assert_refused(wizard, "mobile number “0612” of")
        wizard.signer_contact_id = self.client_fr
        wizard.billing_day = 29
        self.assert_refused(wizard, "between 1 and 28")

    def test_quote_is_not_received_automatically(self):
        letter = self.edited(self.make_letter(kind="quote"))
        wizard = self.make_wizard(letter, auto_receive=True)
        self.assertIn("quote", wizard.email_subject)
        self.assert_refused(wizard, "A quote is not received automatically")
        wizard.auto_receive = False
        wizard.action_prepare()
        self.assertFalse(letter.auto_receive)

    def test_collection_prepared(self):
        letter = self.edited(self.make_letter())
        wizard = self.make_wizard(
            letter,
            auto_receive=True,
            billing_day=5,
            email_subject="Votre lettre de mission 2026",
            email_body="<p>Veuillez signer la lettre.</p>",
        )
        self.assertIn("engagement letter", self.make_wizard(letter).email_subject)
        wizard.action_prepare()
        collection = letter.collection_id
        self.assertEqual(collection.state, "ready")
        self.assertEqual((collection.res_model, collection.res_id), ("engagement.letter", letter.id))
        signers = collection.signer_ids.sorted("signing_order")
        self.assertEqual(signers.mapped("partner_id"), self.client_fr | self.signatory.partner_id)
        self.assertEqual(signers.mapped("signing_order"), [1, 2])
        self.assertEqual(signers.mapped("role"), ["client", "firm"])
        self.assertEqual(len(collection.document_ids), 1)
        self.assertEqual(base64.b64decode(collection.document_ids.original_pdf), self.pdf)
        self.assertEqual(collection.email_subject, "Votre lettre de mission 2026")
        self.assertIn("Veuillez signer la lettre.", collection.email_body)
        self.assertEqual(letter.state, "edited")
        self.assertTrue(letter.auto_receive)
        self.assertEqual(letter.billing_day, 5)
        collection.with_user(self.preparer).action_launch()
        self.assertEqual(letter.state, "sent")

    def test_send_by_email_without_esign(self):
        letter = self.edited(self.make_letter())
        wizard = self.make_wizard(letter, use_esign=False)
        action = wizard.action_prepare()
        self.assertFalse(letter.collection_id)
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer = (
            self.env["mail.compose.message"].with_user(self.preparer).with_context(**action["context"]).create({})
        )
        self.assertEqual(composer.attachment_ids.mimetype, "application/pdf")
        composer._action_send_mail()
        self.assertEqual(letter.state, "sent")
        message = letter.message_ids[0]
        self.assertEqual(message.partner_ids, self.client_fr)
        self.assertTrue(message.attachment_ids)


class TestLetterFollowsCollection(EngagementLetterCase):
    def launched(self, letter=None, **wizard_values):
        letter = letter or self.edited(self.make_letter())
        self.make_wizard(letter, **wizard_values).action_prepare()
        letter.collection_id.with_user(self.preparer).action_launch()
        return letter, letter.collection_id.signer_ids.sorted("signing_order")

    def test_signed_by_both(self):
        letter, (client, firm) = self.launched(auto_receive=True, prepare_accounting_file=True, billing_day=28)
        self.assertEqual(letter.state, "sent")
        sign(client)
        self.assertEqual(letter.state, "client_signed")
        warning = letter.message_ids.filtered(lambda m: self.signatory.partner_id in m.partner_ids)
        self.assertTrue(warning, "the firm's signatory is told the client has signed")
        self.assertEqual(warning.subject, f"Engagement letter {letter.name}: signed by the client, your turn to sign")
        self.assertIn("Sophie Martin", warning.body)
        self.assertIn(f"/odoo/engagement.letter/{letter.id}", warning.body, "a link to the letter in the back office")
        # By its notification: the mail itself may be sent and deleted at once (Odoo's own runner).
        by_email = self.env["mail.notification"].search(
            [("mail_message_id", "=", warning.id), ("notification_type", "=", "email")]
        )
        self.assertEqual(by_email.res_partner_id, self.signatory.partner_id, "the signatory gets an e-mail")
        sign(as_signer(firm))
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(letter.collection_id.state, "done")
        self.assertEqual(letter.state, "signed")
        self.assertTrue(letter.next_renewal_date)
        self.assertEqual(letter.next_renewal_date, date(2027, 1, 1))
        attachment = letter.signed_attachment_id
        self.assertTrue(attachment)
        self.assertEqual((attachment.res_model, attachment.res_id), ("engagement.letter", letter.id))
        self.assertEqual(len(letter.billing_line_ids), 12)
        self.assertEqual(letter.billing_line_ids[0].due_date, date(2026, 1, 28))
        summaries = letter.activity_ids.mapped("summary")
        self.assertIn("Réunion de lancement avec le client", summaries)
        self.assertIn("Créer le dossier comptable", summaries)
        self.assertEqual(letter.activity_ids.user_id, self.preparer)
        bodies = " ".join(letter.message_ids.mapped("body"))
        for step in ("launched", "signed the letter electronically", "signed by the client and the firm"):
            self.assertIn(step, bodies, "each change of state is in the chatter")

    def test_evidence_report_attached_when_made(self):
        letter, (client, firm) = self.launched(auto_receive=True)
        collection = letter.collection_id
        client._sign_checked()
        as_signer(firm)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(letter.state, "signed")
        self.env["esign.collection"]._cron_evidence_reports()
        self.assertTrue(collection.evidence_report_id)
        copies = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "engagement.letter"),
                ("res_id", "=", letter.id),
                ("checksum", "=", collection.evidence_report_id.checksum),
            ]
        )
        self.assertTrue(copies, "a copy of the evidence report stays on the letter after the purge")

    def test_without_auto_receive_nothing_generated(self):
        letter, (client, firm) = self.launched()
        sign(client)
        sign(as_signer(firm))
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(letter.state, "signed")
        self.assertFalse(letter.signed_attachment_id)
        self.assertFalse(letter.billing_line_ids)
        self.assertFalse(letter.activity_ids)

    def test_refused(self):
        letter, (client, _firm) = self.launched()
        client._action_refuse("Les honoraires ne conviennent pas")
        self.assertEqual(letter.state, "refused")
        self.assertIn("was refused", letter.message_ids[0].body)

    def test_expired(self):
        letter, _signers = self.launched()
        letter.collection_id._expire()
        self.assertEqual(letter.state, "expired")
        self.assertIn("expired", letter.message_ids[0].body)

    def test_cancelled(self):
        letter, _signers = self.launched()
        letter.collection_id.with_user(self.preparer)._action_cancel("Erreur d'honoraires")
        self.assertEqual(letter.state, "cancelled")
        self.assertIn("was cancelled", letter.message_ids[0].body)
        letter.action_reset_draft()
        self.assertEqual(letter.state, "draft")


class TestBillingPlan(EngagementLetterCase):
    def plan(self, periodicity, day, start, end, amount=100.0):
        letter = self.make_letter(
            fees=[("Honoraires", amount, periodicity)], fiscal_year_start=start, fiscal_year_end=end, billing_day=day
        )
        letter._generate_billing_plan()
        return [(line.due_date, line.amount) for line in letter.billing_line_ids]

    def test_monthly_day_1_calendar_year(self):
        plan = self.plan("monthly", 1, date(2026, 1, 1), date(2026, 12, 31))
        self.assertEqual([due for due, _amount in plan], [date(2026, month, 1) for month in range(1, 13)])
        self.assertEqual(sum(amount for _due, amount in plan), 1200.0)

    def test_monthly_day_28_non_calendar_year(self):
        plan = self.plan("monthly", 28, date(2026, 7, 1), date(2027, 6, 30))
        self.assertEqual(len(plan), 12)
        self.assertEqual(plan[0][0], date(2026, 7, 28))
        self.assertEqual(plan[7][0], date(2027, 2, 28))
        self.assertEqual(plan[-1][0], date(2027, 6, 28))

    def test_quarterly(self):
        plan = self.plan("quarterly", 1, date(2026, 4, 1), date(2027, 3, 31), amount=600.0)
        self.assertEqual(
            plan,
            [
                (date(2026, 4, 1), 600.0),
                (date(2026, 7, 1), 600.0),
                (date(2026, 10, 1), 600.0),
                (date(2027, 1, 1), 600.0),
            ],
        )

    def test_quarterly_day_28(self):
        plan = self.plan("quarterly", 28, date(2026, 10, 1), date(2027, 9, 30))
        self.assertEqual(
            [due for due, _a in plan], [date(2026, 10, 28), date(2027, 1, 28), date(2027, 4, 28), date(2027, 7, 28)]
        )

    def test_yearly_and_one_off(self):
        self.assertEqual(
            self.plan("yearly", 28, date(2026, 7, 1), date(2027, 6, 30), 2400.0), [(date(2026, 7, 28), 2400.0)]
        )
        self.assertEqual(self.plan("once", 1, date(2026, 1, 1), date(2026, 12, 31), 500.0), [(date(2026, 1, 1), 500.0)])

    def test_fiscal_year_starting_mid_month(self):
        plan = self.plan("monthly", 1, date(2026, 3, 15), date(2027, 3, 14))
        self.assertEqual(plan[0][0], date(2026, 4, 1))
        self.assertEqual(len(plan), 12)


class TestRenewal(EngagementLetterCase):
    def test_batch_renewal(self):
        letters = self.make_letter() | self.make_letter(
            fiscal_year_start=date(2025, 7, 1), fiscal_year_end=date(2026, 6, 30)
        )
        letters._esign_write({"state": "signed"})
        action_domain = self.env.ref("engagement_letter_esign.engagement_letter_renewal_action").domain
        listed = self.env["engagement.letter"].search(safe_eval(action_domain))
        self.assertLessEqual(letters, listed)
        action = letters.action_prepare_renewal()
        news = self.env["engagement.letter"].search(action["domain"])
        self.assertEqual(len(news), 2)
        self.assertEqual(set(news.mapped("state")), {"draft"})
        self.assertEqual(news.previous_letter_id, letters)
        self.assertEqual(sorted(news.mapped("fiscal_year_start")), [date(2026, 7, 1), date(2027, 1, 1)])
        self.assertEqual(news.mapped("fee_line_ids.amount"), [250.0, 250.0])
        self.assertFalse(
            self.env["engagement.letter"].search(safe_eval(action_domain)) & letters, "renewed: off the list"
        )
        again = letters.action_prepare_renewal()
        self.assertEqual(self.env["engagement.letter"].search(again["domain"]), news, "never renewed twice")
        with self.assertRaisesRegex(UserError, "Only signed letters"):
            news.action_prepare_renewal()


class TestInvoicing(EngagementLetterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("account.group_account_invoice")
        cls.journal = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.company.id)], limit=1
        )

    def signed_letter(self, state="signed"):
        letter = self.make_letter(
            fees=[("Tenue mensuelle", 250.0, "monthly"), ("Liasse fiscale", 1200.0, "yearly")], billing_day=5
        )
        letter._generate_billing_plan()
        letter._esign_write({"state": state})
        return letter

    def run_cron(self, day, **kwargs):
        with freeze_time(day):
            return self.env["engagement.letter.billing.line"]._cron_create_invoices(**kwargs)

    def test_invoices_of_due_lines_only(self):
        self.assertTrue(self.journal, "installing account gives the company a chart of accounts and a sale journal")
        letter = self.signed_letter()
        self.assertEqual(self.run_cron("2026-03-04"), 3, "January and February fees and the yearly fee are due")
        invoiced = letter.billing_line_ids.filtered(lambda line: line.state == "invoiced")
        self.assertEqual(
            sorted((line.due_date, line.name) for line in invoiced),
            [
                (date(2026, 1, 5), "Liasse fiscale"),
                (date(2026, 1, 5), "Tenue mensuelle"),
                (date(2026, 2, 5), "Tenue mensuelle"),
            ],
        )
        for line in invoiced:
            invoice = line.invoice_id
            self.assertEqual(invoice.move_type, "out_invoice")
            self.assertEqual(invoice.state, "draft")
            self.assertEqual(invoice.partner_id, self.client_company)
            self.assertEqual(invoice.invoice_date, line.due_date)
            self.assertEqual(invoice.amount_untaxed, line.amount)
            self.assertEqual(invoice.invoice_line_ids.name, line.name)
            self.assertEqual((invoice.company_id, invoice.currency_id), (letter.company_id, letter.currency_id))
            self.assertEqual(invoice.journal_id, self.journal)
            self.assertEqual(invoice.invoice_origin, letter.name)
        planned = letter.billing_line_ids - invoiced
        self.assertFalse(planned.invoice_id)
        self.assertEqual(set(planned.mapped("state")), {"planned"})
        self.assertIn("Draft invoices created from the billing plan", letter.message_ids[0].body)
        self.assertEqual(letter.invoice_count, 3)
        action = letter.action_open_invoices()
        self.assertEqual(self.env["account.move"].search(action["domain"]), invoiced.invoice_id)

        self.assertEqual(self.run_cron("2026-03-04"), 0, "a second run invoices nothing twice")
        self.assertEqual(self.run_cron("2026-03-05"), 1, "the March fee on its due date")
        self.assertEqual(letter.invoice_count, 4)
        self.assertEqual(len(letter.billing_line_ids.invoice_id), 4)

    def test_letters_not_signed_are_not_invoiced(self):
        letters = self.signed_letter("client_signed") | self.signed_letter("cancelled")
        self.assertEqual(self.run_cron("2026-12-31"), 0)
        self.assertFalse(letters.billing_line_ids.invoice_id)

    def test_chunks_report_progress(self):
        letter = self.signed_letter()
        progress = self.record_cron_progress()
        self.assertEqual(self.run_cron("2026-04-05", chunk_size=2), 5)
        self.assertEqual(progress, [(2, 3), (4, 1), (5, 0)])
        self.assertEqual(len(letter.billing_line_ids.invoice_id), 5, "one invoice per due line")

    def test_company_without_sale_journal_is_skipped(self):
        letter = self.signed_letter()
        self.env["account.journal"].search([("type", "=", "sale")]).action_archive()
        with self.assertLogs(
            "odoo.addons.engagement_letter_esign.models.engagement_letter_billing_line", "WARNING"
        ) as logs:
            self.assertEqual(self.run_cron("2026-03-04"), 0)
        self.assertIn("no sale journal", logs.output[0])
        self.assertFalse(letter.billing_line_ids.invoice_id)
        self.assertEqual(set(letter.billing_line_ids.mapped("state")), {"planned"})
