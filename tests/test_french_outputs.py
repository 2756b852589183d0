import base64
import html
import re

import polib
from cryptography.x509.oid import NameOID

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools.misc import file_path
from odoo.tools.safe_eval import safe_eval

from .common import EsignCase, load_french, make_png
from .test_evidence_report import pdf_text
from .test_signing_page import EsignPortalMixin

SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
OFFSET = re.compile(r"[+-](?:0\d|1[0-4])[03]0\b|\bUTC\b|\bGMT\b")
# What a placeholder, a tag or an inline expression of a source string stands for.
NOT_WORDS = re.compile(r"<[^>]*>|%\(\w+\)s|%s|\{\{.*?\}\}|\n")


def english_phrases():
    """The addon's English sentences a French reader must never meet: every run of four words or more
    of the .pot's source strings that its French translation does not use too."""
    translations = {
        entry.msgid: entry.msgstr for entry in polib.pofile(file_path("engagement_letter_esign/i18n/fr.po"))
    }
    phrases = set()
    for entry in polib.pofile(file_path("engagement_letter_esign/i18n/engagement_letter_esign.pot")):
        french = translations.get(entry.msgid) or ""
        for fragment in NOT_WORDS.split(entry.msgid):
            fragment = " ".join(fragment.split()).strip(" ,.:;()")
            if len(re.findall(r"[A-Za-z]+", fragment)) >= 4 and fragment not in french:
                phrases.add(fragment)
    return phrases


def readable(markup):
    """The text of an HTML body as a reader sees it."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup or "")).split())


@tagged("post_install", "-at_install")
class TestFrenchOutputs(EsignPortalMixin, EsignCase):
    """A French firm's clients and people read French only, whatever language the process that wrote
    to them ran in (an English scheduled action, an English user), and dates without seconds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)
        cls.company.partner_id.write({"lang": "fr_FR", "tz": False})
        cls.company.name = "Cabinet Durand"
        cls.french_partners = (
            cls.client_fr | cls.preparer.partner_id | cls.signatory.partner_id | cls.manager.partner_id
        )
        cls.french_partners.write({"lang": "fr_FR"})
        cls.copy = cls.env["res.partner"].create(
            {"name": "Associé en copie", "email": "copie@cabinet.example", "lang": "fr_FR"}
        )
        cls.english = cls.env(context=dict(cls.env.context, lang="en_US"))
        cls.phrases = english_phrases()

    def assertFrenchOnly(self, text, what):
        english = sorted(phrase for phrase in self.phrases if phrase in text)
        self.assertFalse(english, f"English in {what}: {english}\n{text}")
        self.assertFalse(SECONDS.search(text), f"a time with seconds in {what}: {text}")
        self.assertFalse(OFFSET.search(text), f"a time zone offset in {what}: {text}")

    def _sign_through_parapheur(self, signer):
        wizard = (
            self.env["esign.parapheur.sign"]
            .with_user(self.signatory)
            .with_context(lang="en_US", active_model="esign.signer", active_ids=signer.ids)
            .create({})
        )
        wizard.action_send_code()
        wizard.code = self.last_code()
        wizard.action_sign()
        self.assertEqual(self.english["esign.parapheur.batch"]._cron_sign_batches(), 1)
        return wizard.batch_id

    def test_a_collection_done_by_english_processes_reads_french(self):
        self.assertTrue(self.phrases, "the .pot gives the English sentences to look for")
        with freeze_time("2026-12-01 09:41:27"):
            collection = self.make_collection(
                copy_partner_ids=[Command.set(self.copy.ids)],
                email_body="<p>Madame, Monsieur,</p><p>Voici votre lettre de mission.</p>",
            ).with_context(lang="en_US")
            collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        evidence = {"ip_address": "203.0.113.7", "user_agent": "Firefox/140 test"}
        with freeze_time("2026-12-02 09:42:13"):
            self.assertFalse(client.with_context(lang="en_US")._request_signing_code(**evidence).get("error"))
            sms = self.sms_server.last_message()
            result = client.with_context(lang="en_US")._sign_with_code(self.last_code(), make_png(), True, **evidence)
            self.assertEqual(result, {"signed": True})
            batch = self._sign_through_parapheur(firm)
            self.assertEqual(self.english["esign.collection"]._cron_seal(), 1)
            self.assertEqual(self.english["esign.collection"]._cron_evidence_reports(), 1)
        self.assertEqual(collection.state, "done")

        self.assertIn("code", sms)
        self.assertFrenchOnly(sms, "the SMS")

        report = collection.evidence_report_id
        self.assertEqual(report.name, f"Rapport de preuve - {collection.name.replace('/', '-')}.pdf")
        action = self.env.ref("engagement_letter_esign.action_report_esign_evidence")
        self.assertEqual(
            safe_eval(action.print_report_name, {"object": collection.with_context(lang="en_US")}),
            report.name.removesuffix(".pdf"),
            "downloaded by an English user, the file keeps the firm's name",
        )
        text = " ".join(pdf_text(base64.b64decode(report.datas)).split())
        for french in ("Rapport de preuve", "Signataires", "Journal de preuve", "2 décembre 2026 à 10:42"):
            self.assertIn(french, text)
        self.assertFrenchOnly(text, "the evidence report")
        printed, _format = (
            self.env["ir.actions.report"]
            .with_user(self.preparer)
            .with_context(lang="en_US", force_report_rendering=True)
            ._render_qweb_pdf("engagement_letter_esign.action_report_esign_evidence", collection.ids)
        )
        printed_text = " ".join(pdf_text(printed).split())
        self.assertIn("Rapport de preuve", printed_text, "printed by an English user, still the firm's language")
        self.assertFrenchOnly(printed_text, "the evidence report printed by an English user")

        emails = set(self.french_partners.mapped("email")) | {self.copy.email}
        mails = self.env["mail.mail"].search(
            ["|", ("email_to", "in", list(emails)), ("recipient_ids", "in", self.french_partners.ids)], order="id"
        )
        self.assertTrue(mails.filtered(lambda m: m.email_to == client.email), "the client got e-mails")
        for mail in mails:
            body = readable(mail.body_html)
            self.assertFrenchOnly(f"{mail.subject} {body}", f"the e-mail {mail.subject!r}")
            self.assertNotRegex(body, r"\b(Votre|Your) (Signataire|Collecte)", "no model name as a header")
        invitation_html = mails.filtered(lambda m: m.email_to == client.email)[:1].body_html
        invitation = readable(invitation_html)
        self.assertIn("Signature électronique Lettre de mission 2026", invitation)
        self.assertEqual(invitation_html.count("<p>Madame, Monsieur,</p>"), 1, "the firm's message once")
        self.assertNotIn("Bonjour", invitation, "one greeting, the firm's own")
        self.assertIn("16 décembre 2026 à 10:41", invitation, "the deadline in Paris time, without seconds")

        messages = self.env["mail.message"].search(
            [
                "|",
                "&",
                ("model", "=", "esign.collection"),
                ("res_id", "=", collection.id),
                "&",
                ("model", "=", "esign.parapheur.batch"),
                ("res_id", "=", batch.id),
            ]
        )
        self.assertTrue(messages)
        for message in messages:
            self.assertFrenchOnly(f"{message.subject or ''} {readable(message.body)}", "a chatter message")
        verified = (
            self.env["esign.verification"]
            .with_context(lang="fr_FR")
            ._check_public_upload(collection.document_ids._current_pdf(), "lettre.pdf")
        )
        self.assertIn(
            "Autorité de signature électronique de Cabinet Durand",
            [signature["issuer_name"] for signature in verified["signatures"]],
        )
        shown = ("kind_label", "issuer_name", "signing_time_label", "coverage_label", "verdict_label", "notice")
        for signature in verified["signatures"]:
            self.assertFrenchOnly(" ".join(str(signature[key] or "") for key in shown), "the verifier page")
        self.assertIn("2 décembre 2026 à 10:42", [s["signing_time_label"] for s in verified["signatures"]])
        notice = messages.filtered(lambda m: m.model == "esign.parapheur.batch")
        self.assertIn("1 signé(s), 0 non signé(s)", readable(notice.body))

    def test_new_authority_named_in_the_firm_language(self):
        company = self.env["res.company"].create({"name": "Cabinet Lefèvre", "country_id": self.env.ref("base.fr").id})
        company.partner_id.lang = "fr_FR"
        authority = company.with_context(lang="en_US")._esign_authority()
        [common_name] = authority.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        self.assertEqual(common_name.value, "Autorité de signature électronique de Cabinet Lefèvre")
        line = self.env["esign.verification.line"].with_context(lang="fr_FR")
        self.assertEqual(
            line._issuer_label("Cabinet Lefèvre - Electronic signature authority"),
            "Autorité de signature électronique de Cabinet Lefèvre",
            "an authority made before names were translated reads in French too",
        )

    def test_dates_in_the_firm_time_zone_without_seconds(self):
        moment = "2026-07-14 08:05:59"
        self.assertEqual(
            self.company.with_context(lang="fr_FR")._esign_format_datetime(moment), "14 juillet 2026 à 10:05"
        )
        self.assertEqual(self.company._esign_format_datetime(moment, lang="en_US"), "July 14, 2026 at 10:05")
        self.assertEqual(self.company._esign_format_datetime(moment, lang="fr_FR", date_only=True), "14 juillet 2026")
        self.assertEqual(self.company._esign_format_datetime(False), "")
