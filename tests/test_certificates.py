"""The company's certificates as records: created on first need, replaced by archiving, written by
the signature workflow only, readable by system administrators only, one company's own."""

import base64
import json
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from ..models.esign_certificate import SECRET_FIELDS, fingerprint
from ..services import pades, pki
from .pki import ThrowawayAuthority
from .test_attacks import RpcAttackMixin
from .test_pades import PadesCase
from .test_secrets import load_migration, provider_seal

SEAL_PASSWORD = "seal-pass-4471"
# The company columns 18.0.1.3.0 kept the certificates in, and their types.
OLD_COLUMNS = {
    "esign_ca_certificate": "text",
    "esign_ca_key_secret": "text",
    "esign_ca_previous_certificates": "text",
    "esign_ca_seal_certificate": "text",
    "esign_ca_seal_key_secret": "text",
    "esign_seal_pkcs12_secret": "text",
    "esign_seal_password_secret": "varchar",
    "esign_seal_chain": "text",
    "esign_seal_subject": "varchar",
    "esign_seal_expiry": "timestamp",
    "esign_tsa_chain": "text",
    "esign_tsa_root_certificate": "text",
    "esign_tsa_root_subject": "varchar",
}


class CertificateCase(PadesCase):
    def certificates(self, kind, company=None, archived=False):
        return (company or self.company)._esign_certificates(kind, archived=archived)

    def upload_seal(self, p12, password=SEAL_PASSWORD):
        settings = self.env["res.config.settings"].create(
            {"esign_seal_upload": base64.b64encode(p12), "esign_seal_upload_password": password}
        )
        settings.execute()

    def signed_document(self):
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        self._sign_all(collection)
        self.assertEqual(collection.state, "done")
        return collection, base64.b64decode(collection.document_ids.signed_pdf)

    def assert_verifier_says_valid(self, data):
        wizard = self.env["esign.verification"].create({"pdf_file": base64.b64encode(data), "pdf_filename": "l.pdf"})
        wizard.action_verify()
        self.assertEqual(wizard.verdict, "valid", wizard.line_ids.mapped("problem"))

    def assert_sealed_and_valid(self, *collections_and_pdfs):
        """Each (collection, final PDF): certified, signed, sealed, timestamped, and valid for the verifier."""
        for collection, data in collections_and_pdfs:
            with self.subTest(collection=collection.id):
                signer_field = f"esign_signer_{collection.signer_ids.id}"
                self.assert_sound_pdf(
                    data, [pades.CERTIFICATION_FIELD, signer_field, pades.SEAL_FIELD, pades.TIMESTAMP_FIELD]
                )
                self.assert_verifier_says_valid(data)


@tagged("post_install", "-at_install")
class TestCertificateRecords(CertificateCase):
    def test_records_created_on_first_need(self):
        company = self.env["res.company"].create({"name": "Cabinet Neuf", "country_id": self.env.ref("base.fr").id})
        self.assertFalse(company._esign_trust_roots())
        self.assertFalse(company._esign_certificates(archived=True), "verifying creates nothing")
        self.assertFalse(company._esign_ca_fingerprint())
        pem = company._esign_ca_certificate_pem()
        authority = self.certificates("authority", company)
        self.assertEqual(len(authority), 1)
        self.assertEqual(authority.certificate_pem, pem)
        self.assertIn("Cabinet Neuf", authority.subject)
        certificate = pki.load_certificate_pem(pem)
        self.assertEqual(authority.fingerprint, pki.certificate_sha256(certificate).upper())
        self.assertEqual(company._esign_ca_fingerprint(), authority.fingerprint)
        self.assertLessEqual(authority.valid_from, fields.Datetime.now())
        self.assertGreater(authority.valid_until, fields.Datetime.now() + timedelta(days=365))
        self.assertTrue(authority.key_secret.startswith("v1:"))
        self.assertIn("Signature authority of the firm", authority.display_name)
        self.assertFalse(self.certificates("authority_seal", company), "the seal is issued when it seals")
        seal = company._esign_seal_credential()
        seal_record = self.certificates("authority_seal", company)
        self.assertEqual(seal_record.certificate_pem, seal.certificate_pem)
        self.assertEqual(company._esign_seal_credential().certificate, seal.certificate, "issued once")
        self.assertEqual(company._esign_ca_certificate_pem(), pem, "created once")
        self.assertEqual(len(company._esign_certificates(archived=True)), 2)

    def test_renewal_archives_the_authority_and_its_documents_still_verify(self):
        first_collection, first = self.signed_document()
        old = self.certificates("authority")
        old_seal = self.certificates("authority_seal")
        self.env["res.config.settings"].create({}).action_esign_renew_ca()
        self.assertFalse(old.active or old_seal.active)
        self.assertFalse(old.key_secret or old_seal.key_secret, "a replaced authority signs no more")
        self.assertFalse(self.certificates("authority"), "the new one is made on next need")
        self.assertEqual(self.certificates("authority", archived=True), old)
        second_collection, second = self.signed_document()
        new = self.certificates("authority")
        self.assertNotEqual(new.fingerprint, old.fingerprint)
        self.assertEqual(self.certificates("authority", archived=True).ids, [new.id, old.id], "current one first")
        self.assertTrue(self.company._esign_issued_by_company(pki.to_asn1(old._esign_x509())))
        self.assert_sealed_and_valid((first_collection, first), (second_collection, second))
        with self.assertRaisesRegex(UserError, "archived when it is replaced, never deleted"):
            old._esign_unlink()
        with self.assertRaisesRegex(UserError, "never deleted"):
            new._esign_unlink()
        self.assertTrue(old.exists() and new.exists())

    def test_seal_upload_replaces_the_seal_and_archives_the_previous_one(self):
        provider, seal, p12 = provider_seal(SEAL_PASSWORD)
        self.upload_seal(p12)
        first = self.certificates("provider_seal")
        self.assertEqual(first.certificate_pem, seal.certificate_pem)
        self.assertIn("Cabinet Dupont", self.company.esign_seal_subject)
        self.assertEqual(self.company.esign_seal_expiry, first.valid_until)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.esign_seal_subject, first.subject)
        self.assertEqual(first._esign_chain()[0], provider.certificate)
        other_provider, other_seal, other_p12 = provider_seal(SEAL_PASSWORD)
        self.upload_seal(other_p12)
        second = self.certificates("provider_seal")
        self.assertNotEqual(second, first)
        self.assertFalse(first.active)
        self.assertFalse(first.pkcs12_secret or first.password_secret, "the replaced file and password are gone")
        self.assertEqual(self.company._esign_seal_credential().certificate, other_seal.certificate)
        roots = {root.dump() for root in self.company._esign_trust_roots()}
        self.assertIn(pki.certificate_der(other_provider.certificate), roots)
        self.assertEqual(self.certificates("provider_seal", archived=True).ids, [second.id, first.id])
        self.env["res.config.settings"].create({}).action_esign_remove_seal()
        self.assertFalse(second.active or second.pkcs12_secret)
        self.assertFalse(self.company.esign_seal_subject)
        self.assertFalse(self.env["res.config.settings"].create({}).esign_seal_subject)
        credential = self.company._esign_seal_credential()
        self.assertEqual(credential.certificate_pem, self.certificates("authority_seal").certificate_pem)

    def test_timestamp_authority_root_and_chain(self):
        self.signed_document()
        learnt = self.certificates("tsa")
        self.assertTrue(learnt, "the chain the timestamp authority sent")
        self.assertIn(self.tsa.root.dump(), [cert.dump() for cert in self.company._esign_tsa_anchors()])
        self.signed_document()
        self.assertEqual(self.certificates("tsa"), learnt, "each certificate is kept once")
        root = ThrowawayAuthority("Racine horodatage")
        self.company._esign_install_tsa_root(pki.certificate_pem(root.certificate).encode())
        record = self.certificates("tsa_root")
        self.assertIn("Racine horodatage", self.company.esign_tsa_root_subject)
        self.assertIn(root.root.dump(), [cert.dump() for cert in self.company._esign_tsa_certificates()])
        self.company._esign_remove_tsa_root()
        self.assertFalse(record.active)
        self.assertFalse(self.company.esign_tsa_root_subject)
        self.assertNotIn(root.root.dump(), [cert.dump() for cert in self.company._esign_tsa_certificates()])

    def test_settings_list_the_certificates(self):
        self.company._esign_seal_credential()
        admin = self.env.ref("base.user_admin")
        settings = self.env["res.config.settings"].with_user(admin).create({})
        self.assertEqual(settings.esign_ca_fingerprint, self.certificates("authority").fingerprint)
        action = self.env.ref("engagement_letter_esign.esign_certificate_action")
        arch = settings.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn(f'name="{action.id}"', arch, "the Certificates button of the settings")
        views = self.env["esign.certificate"].with_user(admin).get_views([(False, "list"), (False, "search")])
        self.assertIn('create="0"', views["views"]["list"]["arch"])
        self.assertIn('name="archived"', views["views"]["search"]["arch"])
        listed = self.env["esign.certificate"].with_user(admin).search([])
        self.assertEqual(set(listed.mapped("kind")), {"authority", "authority_seal"})
        self.assertEqual(listed.company_id, self.company)


@tagged("post_install", "-at_install")
class TestCertificatesMigration(CertificateCase):
    """18.0.1.4.0 turns the company's certificate columns into records."""

    def old_state(self, values):
        """The company as 18.0.1.3.0 kept it: its certificates in columns, no certificate records."""
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM esign_certificate")
        for name, kind in OLD_COLUMNS.items():
            self.env.cr.execute(SQL("ALTER TABLE res_company ADD COLUMN %s %s", SQL.identifier(name), SQL(kind)))
        for name, value in values.items():
            self.env.cr.execute(
                SQL("UPDATE res_company SET %s = %s WHERE id = %s", SQL.identifier(name), value, self.company.id)
            )
        self.env.invalidate_all()

    def test_columns_become_records_and_signed_documents_still_verify(self):
        first_collection, first = self.signed_document()
        first_authority = self.certificates("authority")._esign_x509()
        self.env["res.config.settings"].create({}).action_esign_renew_ca()
        second_collection, second = self.signed_document()
        authority = self.certificates("authority")
        authority_seal = self.certificates("authority_seal")
        older = ThrowawayAuthority("Autorite plus ancienne").certificate
        _provider, seal, p12 = provider_seal(SEAL_PASSWORD)
        tsa_pems = self.certificates("tsa").mapped("certificate_pem")
        root = ThrowawayAuthority("Racine horodatage")
        values = {
            "esign_ca_certificate": authority.certificate_pem,
            "esign_ca_key_secret": authority.key_secret,
            "esign_ca_previous_certificates": "\n".join(
                [pki.certificate_pem(older), pki.certificate_pem(first_authority)]
            ),
            "esign_ca_seal_certificate": authority_seal.certificate_pem,
            "esign_ca_seal_key_secret": authority_seal.key_secret,
            "esign_seal_pkcs12_secret": self.company._esign_encrypt("seal_pkcs12", p12),
            "esign_seal_password_secret": self.company._esign_encrypt("seal", SEAL_PASSWORD.encode()),
            "esign_seal_chain": "".join(pki.certificate_pem(cert) for cert in pki.seal_chain(seal)),
            "esign_seal_subject": seal.certificate.subject.rfc4514_string(),
            "esign_seal_expiry": seal.certificate.not_valid_after_utc.replace(tzinfo=None),
            "esign_tsa_chain": "".join(tsa_pems),
            "esign_tsa_root_certificate": pki.certificate_pem(root.certificate),
            "esign_tsa_root_subject": root.certificate.subject.rfc4514_string(),
        }
        key_secrets = (authority.key_secret, authority_seal.key_secret)
        self.old_state(values)
        self.assertFalse(self.company._esign_certificates(archived=True))
        migration = load_migration("18.0.1.4.0", "post-10-esign-certificates")
        migration.migrate(self.env.cr, "18.0.1.3.0")
        self.env.invalidate_all()

        self.env.cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_company' "
            "AND column_name = ANY(%s)",
            [list(OLD_COLUMNS)],
        )
        self.assertFalse(self.env.cr.fetchall(), "the old columns are dropped")
        authorities = self.certificates("authority", archived=True)
        self.assertEqual(authorities[0].certificate_pem, values["esign_ca_certificate"], "the current one first")
        self.assertEqual(authorities.mapped("active"), [True, False, False])
        self.assertEqual(
            set(authorities[1:].mapped("fingerprint")),
            {fingerprint(pki.certificate_der(cert)) for cert in (older, first_authority)},
            "each previous authority of the text, archived",
        )
        self.assertFalse(any(authorities[1:].mapped("key_secret")))
        self.assertEqual(
            (authorities[0].key_secret, self.certificates("authority_seal").key_secret),
            key_secrets,
            "ciphertexts moved as they are",
        )
        self.assertEqual(self.company._esign_authority().certificate_pem, values["esign_ca_certificate"])
        self.assertEqual(self.company._esign_seal_credential().certificate, seal.certificate)
        self.assertEqual(self.certificates("provider_seal").chain_pem, values["esign_seal_chain"])
        self.assertEqual(self.company.esign_seal_subject, values["esign_seal_subject"])
        self.assertEqual(self.company.esign_seal_expiry, values["esign_seal_expiry"])
        self.assertEqual(sorted(self.certificates("tsa").mapped("certificate_pem")), sorted(tsa_pems))
        self.assertEqual(self.company.esign_tsa_root_subject, values["esign_tsa_root_subject"])
        self.assertEqual(len(self.company._esign_trust_roots()), 3 + len(pki.seal_chain(seal)))
        self.assert_sealed_and_valid((first_collection, first), (second_collection, second))
        count = len(self.company._esign_certificates(archived=True))
        migration.migrate(self.env.cr, "18.0.1.3.0")  # twice: nothing to do, nothing broken
        self.assertEqual(len(self.company._esign_certificates(archived=True)), count)

    def test_a_seal_no_key_opens_is_left_out(self):
        _provider, _seal, p12 = provider_seal(SEAL_PASSWORD)
        self.old_state(
            {
                "esign_seal_pkcs12_secret": pki.encrypt_secret(p12, pki.derive_key("another-database", "x")),
                "esign_seal_password_secret": pki.encrypt_secret(b"x", pki.derive_key("another-database", "y")),
                "esign_seal_subject": "CN=Cabinet Dupont",
            }
        )
        load_migration("18.0.1.4.0", "post-10-esign-certificates").migrate(self.env.cr, "18.0.1.3.0")
        self.env.invalidate_all()
        self.assertFalse(self.company._esign_certificates(archived=True))
        self.assertFalse(self.company.esign_seal_subject, "the settings ask for the seal again")
        self.assertTrue(self.company._esign_seal_credential(), "the company authority seals meanwhile")


@tagged("post_install", "-at_install")
class TestCertificatesOverRpc(RpcAttackMixin, HttpCase, CertificateCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.write({"login": "esign_cert_admin", "password": "esign_cert_admin"})
        cls.company._esign_seal_credential()
        cls.company.invalidate_recordset()
        cls.env["res.config.settings"].create({}).action_esign_renew_ca()
        cls.company._esign_seal_credential()
        _provider, cls.seal, cls.p12 = provider_seal(SEAL_PASSWORD)
        settings = cls.env["res.config.settings"].create(
            {"esign_seal_upload": base64.b64encode(cls.p12), "esign_seal_upload_password": SEAL_PASSWORD}
        )
        settings.execute()
        cls.ca = cls.company._esign_certificates("authority")
        cls.old_ca = cls.company._esign_certificates("authority", archived=True) - cls.ca
        cls.uploaded = cls.company._esign_certificates("provider_seal")
        cls.other_company = cls.env["res.company"].create({"name": "Cabinet Voisin"})
        cls.other_company._esign_seal_credential()
        cls.other_admin = new_test_user(
            cls.env,
            login="esign_cert_other_admin",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
            groups="base.group_user,base.group_system,engagement_letter_esign.group_esign_manager",
        )
        cls.roles = {
            "User": "esign_preparer",
            "Manager": "esign_manager",
            "administrator": "esign_cert_admin",
        }

    def snapshot(self):
        self.env.invalidate_all()
        self.env.cr.execute("SELECT row_to_json(c)::text FROM esign_certificate c ORDER BY id")
        return [json.loads(text) for (text,) in self.env.cr.fetchall()]

    def test_secrets_and_certificates_readable_by_system_administrators_only(self):
        ids = (self.ca | self.old_ca | self.uploaded).ids
        every_field = [*SECRET_FIELDS, "certificate_pem", "chain_pem", "subject", "fingerprint", "kind", "active"]
        for role in ("User", "Manager"):
            with self.subTest(role=role):
                self.authenticate(self.roles[role], self.roles[role])
                for fname in every_field:
                    for answer in (
                        self.call_kw("esign.certificate", "read", [ids, [fname]]),
                        self.call_kw("esign.certificate", "search_read", [[]], {"fields": [fname]}),
                        self.call_kw("esign.certificate", "web_read", [ids], {"specification": {fname: {}}}),
                        self.call_kw(
                            "esign.certificate",
                            "web_search_read",
                            [],
                            {"domain": [], "specification": {fname: {}}, "context": {"active_test": False}},
                        ),
                    ):
                        self.assert_refused(answer, f"{role} reads {fname}")
                self.assert_refused(self.call_kw("esign.certificate", "search_count", [[]]), f"{role} counts")
                self.assert_refused(
                    self.call_kw("res.company", "read", [self.company.ids, ["esign_certificate_ids"]]),
                    f"{role} reads the company's certificates",
                )
                answer = self.call_kw("res.company", "read", [self.company.ids, ["esign_seal_subject"]])
                self.assertIn("Cabinet Dupont", answer["result"][0]["esign_seal_subject"], "the public part")
        self.authenticate("esign_cert_admin", "esign_cert_admin")
        answer = self.call_kw("esign.certificate", "read", [self.ca.ids, ["key_secret", "fingerprint"]])
        self.assertTrue(answer["result"][0]["key_secret"].startswith("v1:"), "ciphertext, to system administrators")
        self.assertNotIn("PRIVATE", json.dumps(answer))

    def test_nobody_creates_changes_deletes_or_brings_back_a_certificate(self):
        before = self.snapshot()
        forged = pki.certificate_pem(ThrowawayAuthority("Autorite pirate").certificate)
        new_row = {"company_id": self.company.id, "kind": "authority", "certificate_pem": forged}
        ca, old_ca, uploaded = self.ca.ids, self.old_ca.ids, self.uploaded.ids
        attacks = [
            ("esign.certificate", "create", [new_row]),
            ("esign.certificate", "create", [{**new_row, "kind": "tsa_root"}]),
            ("esign.certificate", "write", [ca, {"certificate_pem": forged}]),
            ("esign.certificate", "write", [ca, {"active": False}]),
            ("esign.certificate", "write", [old_ca, {"active": True}]),
            ("esign.certificate", "write", [uploaded, {"chain_pem": forged}]),
            ("esign.certificate", "write", [ca, {"company_id": self.other_company.id}]),
            ("esign.certificate", "unlink", [ca]),
            ("esign.certificate", "unlink", [uploaded]),
            ("esign.certificate", "action_unarchive", [old_ca]),
            ("esign.certificate", "action_archive", [ca]),
            ("esign.certificate", "toggle_active", [old_ca]),
            ("esign.certificate", "copy", [ca]),
            ("esign.certificate", "web_save", [ca, {"active": False}], {"specification": {}}),
            ("esign.certificate", "web_save", [[], new_row], {"specification": {}}),
            ("esign.certificate", "_esign_retire", [ca]),
            ("esign.certificate", "_esign_add", [[], self.company.id, "authority", forged]),
            ("res.company", "write", [self.company.ids, {"esign_certificate_ids": [Command.create(new_row)]}]),
            ("res.company", "write", [self.company.ids, {"esign_certificate_ids": [Command.unlink(ca[0])]}]),
            ("res.company", "write", [self.company.ids, {"esign_certificate_ids": [Command.delete(ca[0])]}]),
            ("res.company", "_esign_renew_authority", [self.company.ids]),
            ("res.company", "_esign_remove_seal", [self.company.ids]),
        ]
        for role, login in self.roles.items():
            self.authenticate(login, login)
            for model, method, args, *kwargs in attacks:
                with self.subTest(role=role, model=model, method=method, args=str(args)[:80]):
                    self.assert_refused(
                        self.call_kw(model, method, args, kwargs[0] if kwargs else None), f"{role} {method}"
                    )
        self.assertEqual(self.snapshot(), before, "nothing changed")

    def test_context_defaults_do_not_reach_the_seal_the_settings_upload(self):
        self.authenticate("esign_cert_admin", "esign_cert_admin")
        provider, seal, p12 = provider_seal(SEAL_PASSWORD)
        forged = pki.certificate_pem(ThrowawayAuthority("Autorite pirate").certificate)
        context = {
            "default_chain_pem": forged,
            "default_subject": "CN=Forged",
            "default_fingerprint": "00",
            "default_active": False,
            "default_kind": "authority",
            "default_valid_until": "2099-01-01 00:00:00",
        }
        saved = self.call_kw(
            "res.config.settings",
            "web_save",
            [[], {"esign_seal_upload": base64.b64encode(p12).decode(), "esign_seal_upload_password": SEAL_PASSWORD}],
            {"specification": {}, "context": context},
        )
        self.assertIn("result", saved, saved.get("error"))
        answer = self.call_kw("res.config.settings", "execute", [[saved["result"][0]["id"]]], {"context": context})
        self.assertIn("result", answer, answer.get("error"))
        self.env.invalidate_all()
        record = self.company._esign_certificates("provider_seal")
        self.assertEqual(record.certificate_pem, seal.certificate_pem, "the settings still upload a seal")
        self.assertEqual(record.chain_pem, pki.certificate_pem(provider.certificate))
        self.assertEqual(record.fingerprint, fingerprint(pki.certificate_der(seal.certificate)))
        self.assertEqual(record.valid_until, seal.certificate.not_valid_after_utc.replace(tzinfo=None))
        self.assertIn("Cabinet Dupont", record.subject)
        self.assertFalse(self.uploaded.active, "the previous upload archived")

    def test_another_company_sees_and_trusts_none_of_these_certificates(self):
        ours = self.company._esign_certificates(archived=True)
        theirs = self.other_company._esign_certificates(archived=True)
        self.assertEqual(set(theirs.mapped("kind")), {"authority", "authority_seal"})
        self.assertNotIn(self.other_company._esign_ca_certificate_pem(), ours.mapped("certificate_pem"))
        our_roots = {root.dump() for root in self.company._esign_trust_roots()}
        self.assertFalse(
            {pki.certificate_der(cert) for cert in theirs._esign_x509s()} & our_roots, "neither CA nor seal"
        )
        self.assertFalse(self.company._esign_issued_by_company(pki.to_asn1(theirs[0]._esign_x509())))
        self.authenticate("esign_cert_other_admin", "esign_cert_other_admin")
        found = self.call_kw("esign.certificate", "search_read", [[]], {"fields": ["company_id"]})
        self.assertEqual({row["id"] for row in found["result"]}, set(theirs.filtered("active").ids))
        self.assert_refused(self.call_kw("esign.certificate", "read", [ours.ids, ["subject"]]), "another company's")
        self.assert_refused(
            self.call_kw("esign.certificate", "read", [ours.ids[:1], ["key_secret"]]), "another company's key"
        )
        found = self.call_kw(
            "esign.certificate",
            "search_read",
            [[("company_id", "=", self.company.id)]],
            {"fields": ["subject"], "context": {"active_test": False}},
        )
        self.assertEqual(found["result"], [])
