import base64

from odoo import Command
from odoo.tests import Form, HttpCase, tagged

from .common import EsignCase, load_french
from .test_engagement_letter import EngagementLetterCase


def _csv(rows):
    return ("\r\n".join(";".join(row) for row in rows) + "\r\n").encode()


@tagged("post_install", "-at_install")
class TestContactImportLanguagesAndDomains(EsignCase):
    """A language is written as people write it; an e-mail needs a real domain."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)
        cls.preparer.groups_id = [Command.link(cls.env.ref("base.group_partner_manager").id)]

    def _preview(self, rows, lang="en_US"):
        header = ["Société", "Nom", "Prénom", "E-mail", "Mobile", "Langue"]
        wizard = (
            self.env["esign.contact.import"]
            .with_user(self.preparer)
            .with_context(lang=lang)
            .create({"file": base64.b64encode(_csv([header, *rows])), "filename": "contacts.csv"})
        )
        wizard.action_preview()
        return wizard.line_ids.sorted("line")

    def test_language_by_name_code_or_english_name(self):
        written = ["Français", "French", "fr", "fr_FR", "fr-FR", "francais", "FRANÇAIS", "English", "en"]
        rows = [["", f"Nom{index}", "Jean", f"jean{index}@cabinet.fr", "", text] for index, text in enumerate(written)]
        lines = self._preview(rows)
        self.assertEqual(lines.mapped("status"), ["new"] * len(written), lines.mapped("message"))
        self.assertEqual(lines.mapped("lang"), ["fr_FR"] * 7 + ["en_US"] * 2)

    def test_language_named_in_the_users_language(self):
        lines = self._preview([["", "Keller", "Anna", "anna@horlogerie.ch", "", "Anglais"]], lang="fr_FR")
        self.assertEqual((lines.status, lines.lang), ("new", "en_US"), lines.message)

    def test_language_not_installed_is_refused_with_the_installed_ones(self):
        lines = self._preview([["", "Müller", "Hans", "hans@mueller.de", "", "Deutsch"]])
        self.assertEqual(lines.status, "error")
        self.assertIn("language “Deutsch” is not installed", lines.message)
        self.assertIn("French / Français", lines.message)

    def test_email_without_a_real_domain_is_refused(self):
        lines = self._preview(
            [
                ["", "Petit", "Marc", "marc.petit@menuiserie-petit", "", ""],
                ["", "Petit", "Léa", "lea@menuiserie-petit.c", "", ""],
                ["", "Petit", "Jean", "jean@-menuiserie.fr", "", ""],
                ["", "Petit", "Paul", "paul.petit@menuiserie-petit.fr", "", ""],
                ["", "Petit", "Zoé", "zoe@menuiserie-pétit.fr", "", ""],
            ]
        )
        self.assertEqual(lines.mapped("status"), ["error", "error", "error", "new", "new"], lines.mapped("message"))
        self.assertEqual(
            lines[0].message,
            "The e-mail address “marc.petit@menuiserie-petit” has no valid domain name (e.g. name@company.fr).",
        )

    def test_reasons_in_french(self):
        lines = self._preview(
            [
                ["", "Petit", "Marc", "marc.petit@menuiserie-petit", "", ""],
                ["", "Müller", "Hans", "hans@mueller.de", "", "Deutsch"],
            ],
            lang="fr_FR",
        )
        self.assertIn("n'a pas de nom de domaine valide", lines[0].message)
        self.assertIn("n'est pas installée", lines[1].message)


@tagged("post_install", "-at_install")
class TestCollectionKanbanOrder(EsignCase):
    def test_columns_follow_the_workflow(self):
        states = ["cancelled", "done", "refused", "in_progress"]
        for state in states:
            self.make_collection(subject=f"Collecte {state}")._esign_write({"state": state})
        groups = self.env["esign.collection"].with_user(self.preparer).web_read_group([], ["state"], ["state"])
        order = [group["state"] for group in groups["groups"]]
        self.assertEqual(
            order,
            ["draft", "ready", "in_progress", "done", "refused", "cancelled"],
            "the main path always, in order; other states used only, after it",
        )


@tagged("post_install", "-at_install")
class TestSendWizardChecks(EngagementLetterCase):
    """The wizard shows at once what prevents the collection, and the texts speak of online signing."""

    def test_firm_signatory_defaulted_from_the_settings(self):
        letter = self.edited(self.make_letter(signatory_id=False))
        wizard = self.make_wizard(letter)
        self.assertEqual(wizard.signatory_id, self.signatory, "the firm signatory of the settings")
        other = self.env["res.users"].create(
            {
                "name": "Bernard Associé",
                "login": "bernard",
                "email": "bernard@cabinet.example",
                "groups_id": [Command.link(self.env.ref("engagement_letter_esign.group_esign_signatory").id)],
            }
        )
        other.partner_id.mobile = "+33 6 11 22 33 44"
        wizard.signatory_id = other
        self.assertFalse(wizard.problems)
        # The letter names its signatory: it is rendered again (reports are HTML in tests).
        self.patch(type(self.env["engagement.letter"]), "_render_pdf", lambda letter: self.pdf)
        wizard.action_prepare()
        self.assertEqual(letter.signatory_id, other, "the letter names the signatory chosen")
        self.assertTrue(letter.pdf)
        firm = letter.collection_id.signer_ids.filtered(lambda s: s.role == "firm")
        self.assertEqual(firm.partner_id, other.partner_id)

    def test_problems_listed_when_the_wizard_opens_and_on_change(self):
        self.client_fr.mobile = False
        self.signatory.partner_id.email = False
        letter = self.edited(self.make_letter())
        with Form(
            self.env["engagement.letter.send.wizard"].with_user(self.preparer).with_context(default_letter_id=letter.id)
        ) as wizard:
            self.assertIn("Sophie Martin has no mobile number", wizard.problems)
            self.assertIn("Firm signatory: Sylvie Signataire has no valid e-mail address.", wizard.problems)
            self.signatory.partner_id.email = "sylvie@cabinet.example"
            wizard.auto_receive = True
            wizard.billing_day = 30
            self.assertIn("between 1 and 28", wizard.problems)
            self.assertNotIn("Firm signatory", wizard.problems)
            wizard.billing_day = 5
            luc = self.env["res.partner"].create(
                {
                    "name": "Luc Durand",
                    "parent_id": self.client_company.id,
                    "email": "luc@boulangerie.example",
                    "mobile": "06 22 33 44 55",
                }
            )
            wizard.signer_contact_id = luc
            self.assertFalse(wizard.problems, "nothing left to fix")

    def test_refusal_lists_every_problem(self):
        self.client_fr.mobile = False
        letter = self.edited(self.make_letter())
        wizard = self.make_wizard(letter, billing_day=30)
        with self.assertRaises(Exception) as raised:
            wizard.action_prepare()
        message = str(raised.exception)
        self.assertIn("The collection cannot be prepared yet", message)
        for problem in wizard.problems.split("\n"):
            self.assertIn(problem, message, "the same list as the wizard shows")

    def test_texts_for_online_signing(self):
        mission = self.mission.copy({"name": "Secrétariat juridique"})
        letter = self.edited(self.make_letter(mission_type_id=mission.id))
        wizard = self.make_wizard(letter)
        self.assertEqual(wizard.email_subject, "Your engagement letter “Secrétariat juridique” to sign online")
        self.assertNotIn("attached", wizard.email_body)
        self.assertIn("signed online", wizard.email_body)
        wizard.action_prepare()
        self.assertEqual(
            letter.collection_id.subject, "Engagement letter “Secrétariat juridique” - Boulangerie Martin SARL"
        )
        by_mail = self.make_wizard(self.edited(self.make_letter(mission_type_id=mission.id)), use_esign=False)
        self.assertIn("attached", by_mail.email_body, "sent by e-mail, the PDF is attached")

    def test_texts_in_french(self):
        """Written in the client's language, whoever prepares the collection."""
        load_french(self.env)
        mission = self.mission.copy({"name": "Secrétariat juridique"})
        letter = self.edited(self.make_letter(mission_type_id=mission.id))
        letter.contact_id.sudo().lang = "fr_FR"
        wizard = (
            self.env["engagement.letter.send.wizard"]
            .with_user(self.preparer)
            .with_context(lang="en_US")
            .create({"letter_id": letter.id})
        )
        self.assertEqual(wizard.email_subject, "Votre lettre de mission « Secrétariat juridique » à signer en ligne")
        self.assertNotIn("ci-joint", wizard.email_body)
        self.assertNotIn("de votre mission", wizard.email_subject)


@tagged("post_install", "-at_install")
class TestBackofficeTours(HttpCase, EngagementLetterCase):
    """What a collaborator sees on a 1366x768 screen, and on a phone for the import preview."""

    browser_size = "1366x768"

    def _done_collection(self):
        collection = self.make_collection(subject="Lettre scellée")
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        client._sign_checked(evidence={})
        firm.with_user(self.signatory)._sign_checked(evidence={})
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        return collection

    def test_collection_list_form_and_kanban(self):
        done = self._done_collection()
        self.assertEqual(done.sealed_date, max(done.document_ids.mapped("sealed_date")))
        ready = self.make_collection(subject="Lettre de mission sociale 2026 - Brasserie Dupuis")
        ready.action_mark_ready()
        self.make_collection(subject="Mandat de prélèvement SEPA - Horlogerie Keller", documents=2)
        running = self.make_collection(subject="Lettre de mission 2026 - Boulangerie Martin SARL")
        running.action_launch()
        self.start_tour(
            "/odoo/action-engagement_letter_esign.esign_collection_action",
            "esign_collection_list_tour",
            login="esign_preparer",
        )

    def test_send_wizard(self):
        self.client_fr.mobile = False
        self.env["res.partner"].create(
            {
                "name": "Luc Durand",
                "parent_id": self.client_company.id,
                "email": "luc@boulangerie.example",
                "mobile": "06 22 33 44 55",
            }
        )
        letter = self.edited(self.make_letter(signatory_id=False))
        # The letter names its signatory: it is rendered again (reports are HTML in tests).
        self.patch(type(self.env["engagement.letter"]), "_render_pdf", lambda letter: self.pdf)
        self.start_tour(
            f"/odoo/action-engagement_letter_esign.engagement_letter_action/{letter.id}",
            "esign_send_wizard_tour",
            login="esign_preparer",
        )
        self.assertEqual(letter.collection_id.state, "ready")
        self.assertEqual(letter.signatory_id, self.signatory)

    def test_parapheur_batch_updates_without_reload(self):
        # The tour wakes the scheduled action itself, as a system user may.
        self.signatory.groups_id = [Command.link(self.env.ref("base.group_system").id)]
        collections = self.make_waiting_for_firm(2, documents=1)
        signers = collections.signer_ids.filtered(lambda s: s.role == "firm")
        batch = self.env["esign.parapheur.batch"].with_user(self.signatory)._create_from_signers(signers)
        batch._esign_write({"state": "queued"})
        self.start_tour(
            f"/odoo/action-engagement_letter_esign.esign_parapheur_batch_action/{batch.id}",
            "esign_parapheur_live_tour",
            login="esign_signatory",
        )
        self.assertEqual(batch.state, "done")

    def _import_preview(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.preparer.groups_id = [Command.link(self.env.ref("base.group_partner_manager").id)]
        header = ["Société", "Nom", "Prénom", "E-mail", "Mobile", "Langue"]
        rows = [
            ["Menuiserie Petit", "Petit", "Marc", "marc.petit@menuiserie-petit", "06 12 34 56 78", "Français"],
            ["Boulangerie Martin SARL", "Martin", "Sophie", "sophie.martin@boulangerie.fr", "06 12 34 56 79", "fr"],
        ]
        wizard = (
            self.env["esign.contact.import"]
            .with_user(self.preparer)
            .create({"file": base64.b64encode(_csv([header, *rows])), "filename": "contacts.csv"})
        )
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.sorted("line").mapped("status"), ["error", "new"])
        return wizard

    def test_contact_import_reason_on_a_desktop(self):
        wizard = self._import_preview()
        self.start_tour(
            f"/odoo/esign.contact.import/{wizard.id}", "esign_contact_import_preview_tour", login="esign_preparer"
        )

    def test_contact_import_reason_on_a_phone(self):
        self.browser_size = "390x844"
        self.touch_enabled = True
        wizard = self._import_preview()
        self.start_tour(
            f"/odoo/esign.contact.import/{wizard.id}", "esign_contact_import_preview_tour", login="esign_preparer"
        )


@tagged("post_install", "-at_install")
class TestParapheurProgressOnTheBus(EsignCase):
    def test_each_chunk_tells_the_signatory(self):
        collections = self.make_waiting_for_firm(3, documents=1)
        signers = collections.signer_ids.filtered(lambda s: s.role == "firm")
        batch = self.env["esign.parapheur.batch"].with_user(self.signatory)._create_from_signers(signers)
        batch._esign_write({"state": "queued"})
        self.env.cr.precommit.run()
        sent = []
        original = type(self.env["bus.bus"])._sendone

        def record(bus, target, notification_type, message):
            if notification_type == "esign_parapheur_batch_progress":
                sent.append((target, message, batch.state))
            return original(bus, target, notification_type, message)

        self.patch(type(self.env["bus.bus"]), "_sendone", record)
        self.env["esign.parapheur.batch"]._cron_sign_batches(chunk_size=2)
        self.assertEqual(len(sent), 2, "one notification per chunk")
        self.assertTrue(all(target == self.signatory.partner_id for target, _message, _state in sent))
        self.assertEqual([message for _target, message, _state in sent], [{"batch_ids": batch.ids}] * 2)
        self.assertEqual([state for _target, _message, state in sent], ["running", "done"])
        self.assertEqual(batch.state, "done")
