import base64
import io
import subprocess
import tempfile
from dataclasses import replace
from datetime import timedelta

from asn1crypto import cms as asn1_cms
from asn1crypto import crl as asn1_crl
from cryptography import x509
from freezegun import freeze_time
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, Form, HttpCase, tagged

from ..services import pades, pki, timestamp_client
from ..services.pdf_verify import check_pdf_signatures
from ..services.stamp_appearance import Stamp
from .common import EsignCase, as_signer, load_french, make_pdf
from .pki import ThrowawayAuthority, sign_pdf
from .tsa import LocalTimestampAuthority


def drawn_signature():
    """A PNG like the one a signer draws on the signing page."""
    picture = Image.new("RGBA", (400, 150), (255, 255, 255, 0))
    ImageDraw.Draw(picture).line([(10, 120), (100, 20), (200, 130), (300, 30), (390, 100)], fill=(0, 0, 80), width=6)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def pdfsig_validity_lines(data):
    """The "Signature Validation" lines poppler's pdfsig prints, one per signature it can check."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        output = subprocess.run(["pdfsig", "-nocert", handle.name], capture_output=True, check=False).stdout
    lines = [line.strip() for line in output.decode(errors="replace").splitlines()]
    return [line.split(":", 1)[1].strip() for line in lines if line.startswith("- Signature Validation:")]


def last_page(data):
    """The number of the last page: the signature page the stamps went on."""
    return int(PdfFileReader(io.BytesIO(data)).root["/Pages"]["/Count"])


def pdf_text(data, page):
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


class PadesCase(EsignCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tsa = LocalTimestampAuthority().start()
        cls.addClassCleanup(cls.tsa.stop)
        cls.company.esign_tsa_url = cls.tsa.url
        cls.clients = cls.env["res.partner"].create(
            [
                {
                    "name": f"Client {index} Évêque",
                    "email": f"client{index}@example.com",
                    "mobile": f"06 12 34 56 {index:02d}",
                    "country_id": cls.env.ref("base.fr").id,
                }
                for index in range(1, 6)
            ]
        )

    def _validation_context(self, extra_roots=()):
        return ValidationContext(
            trust_roots=[*self.company._esign_trust_roots(), self.tsa.root, *extra_roots],
            allow_fetching=False,
            revocation_mode="soft-fail",
        )

    def assert_sound_pdf(self, data, expected_fields, extra_roots=(), timestamped=True):
        """Every signature intact, valid, trusted and timestamped; the last one covers the whole file."""
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        self.assertEqual([sig.field_name for sig in signatures], expected_fields)
        for embedded in signatures:
            context = self._validation_context(extra_roots)
            with self.subTest(field=embedded.field_name):
                if embedded.sig_object_type == "/DocTimeStamp":
                    status = validate_pdf_timestamp(embedded, validation_context=context)
                    self.assertTrue(status.intact and status.valid and status.trusted)
                    continue
                status = validate_pdf_signature(
                    embedded, signer_validation_context=context, ts_validation_context=context
                )
                self.assertTrue(status.intact, "the signed bytes are unchanged")
                self.assertTrue(status.valid, "the signature value checks")
                self.assertTrue(status.trusted, "the certificate chains up to a trusted root")
                self.assertTrue(status.docmdp_ok, "what came after the signature was allowed")
                if timestamped and embedded.field_name.startswith("esign_"):
                    self.assertTrue(status.timestamp_validity, "a timestamp token is embedded")
                    self.assertTrue(status.timestamp_validity.valid and status.timestamp_validity.trusted)
        self.assertEqual(
            signatures[-1].sig_object["/ByteRange"][2] + signatures[-1].sig_object["/ByteRange"][3], len(data)
        )
        last_status = (
            validate_pdf_timestamp(signatures[-1], validation_context=self._validation_context(extra_roots))
            if signatures[-1].sig_object_type == "/DocTimeStamp"
            else validate_pdf_signature(signatures[-1], signer_validation_context=self._validation_context(extra_roots))
        )
        self.assertEqual(last_status.coverage, SignatureCoverageLevel.ENTIRE_FILE)
        return signatures

    def _collection(self, partners, **values):
        return self.make_collection(signers=[(partner, order) for order, partner in enumerate(partners, 1)], **values)

    def _sign_all(self, collection):
        for signer in collection.signer_ids.sorted("signing_order"):
            as_signer(signer)._sign_checked(
                signature_image=drawn_signature(),
                evidence={"ip_address": "203.0.113.7", "user_agent": "Firefox/140 test"},
            )
        self.env["esign.collection"]._cron_seal()


@tagged("post_install", "-at_install")
class TestPadesSignatures(PadesCase):
    def test_one_two_and_five_signers_then_the_seal(self):
        for count in (1, 2, 5):
            with self.subTest(signers=count):
                partners = self.clients[: count - 1] + self.signatory.partner_id if count > 1 else self.clients[:1]
                collection = self._collection(partners)
                collection.action_launch()
                self._sign_all(collection)
                self.assertEqual(collection.state, "done")
                document = collection.document_ids
                data = base64.b64decode(document.signed_pdf)
                self.assertEqual(document.signed_sha256, pki.hashlib.sha256(data).hexdigest())
                self.assertTrue(document.sealed_date)
                signers = collection.signer_ids.sorted("signing_order")
                expected = [
                    pades.CERTIFICATION_FIELD,
                    *(f"esign_signer_{s.id}" for s in signers),
                    pades.SEAL_FIELD,
                    pades.TIMESTAMP_FIELD,
                ]
                signatures = self.assert_sound_pdf(data, expected)
                self.assertEqual(signatures[0].docmdp_level, pades.fields.MDPPerm.FILL_FORMS, "the firm certifies")
                for signer, embedded in zip(signers, signatures[1:], strict=False):
                    self.assertEqual(
                        pki.hashlib.sha256(embedded.signer_cert.dump()).hexdigest(), signer.certificate_sha256
                    )
                    self.assertIn(signer.name, embedded.signer_cert.subject.human_friendly)
                    self.assertIn("BEGIN CERTIFICATE", signer.certificate_pem)
                self.assertEqual(
                    pdfsig_validity_lines(data)[: count + 2],
                    ["Signature is Valid."] * (count + 2),
                    "poppler finds every signature and the seal valid",
                )
                text = pdf_text(data, last_page(data))
                for signer in signers:
                    self.assertIn(signer.name.replace("Évêque", "").strip(), text, "each stamp names its signer")
                self.assertIn("Electronically signed by", text)
                # One proof event per document revision, each with the hash of its revision.
                signed_events = collection.event_ids.filtered(lambda e: e.event_type == "signed")
                self.assertEqual(len(signed_events), count)
                self.assertEqual(len(set(signed_events.mapped("document_sha256"))), count)
                sealed = collection.event_ids.filtered(lambda e: e.event_type == "sealed")
                self.assertEqual(sealed.document_sha256, document.signed_sha256)
                self.assertFalse(collection._verify_event_chain())
                checks = check_pdf_signatures(data, [*self.company._esign_trust_roots(), self.tsa.root])
                self.assertEqual([check.sound for check in checks], [True] * len(expected), "the verifier agrees")

    def test_stamps_do_not_overlap(self):
        boxes = pades.stamp_boxes(595, 842, 11)
        for index, first in enumerate(boxes):
            self.assertTrue(first[0] >= 0 and first[2] <= 595 and first[1] >= 0 and first[3] <= 842)
            for second in boxes[index + 1 :]:
                overlap = (
                    first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]
                )
                self.assertFalse(overlap, f"{first} and {second} overlap")

    def test_earlier_signatures_stay_valid_and_two_documents_each_signed(self):
        collection = self._collection(self.clients[:2], documents=2)
        collection.action_launch()
        first = collection.signer_ids.sorted("signing_order")[0]
        as_signer(first)._sign_checked()
        for document in collection.document_ids:
            data = base64.b64decode(document.signed_pdf)
            signatures = self.assert_sound_pdf(data, [pades.CERTIFICATION_FIELD, f"esign_signer_{first.id}"])
            fields = [name for name, _value, _ref in pades.fields.enumerate_sig_fields(PdfFileReader(io.BytesIO(data)))]
            self.assertEqual(len(fields), 4, "every field, seal included, exists from the first signature on")
            self.assertEqual(signatures[1].signer_cert.subject.native["email_address"], first.email)

    def test_launch_certifies_before_anyone_signs(self):
        collection = self._collection([self.clients[0], self.signatory.partner_id])
        collection.action_launch()
        document = collection.document_ids
        data = base64.b64decode(document.signed_pdf)
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        (certification,) = reader.embedded_signatures
        self.assertEqual(certification.field_name, pades.CERTIFICATION_FIELD)
        self.assertEqual(certification.docmdp_level, pades.fields.MDPPerm.FILL_FORMS, "only signing allowed after")
        laid_out = [name for name, _value, _ref in pades.fields.enumerate_sig_fields(reader)]
        for signer in collection.signer_ids:
            self.assertIn(f"esign_signer_{signer.id}", laid_out, "every signer's place is fixed by the firm")
        self.assertIn(pades.SEAL_FIELD, laid_out)
        certified = collection.event_ids.filtered(lambda e: e.event_type == "certified")
        self.assertEqual(certified.document_sha256, document.signed_sha256, "the journal names the revision")
        self.assertEqual(collection.signer_ids.mapped("state"), ["to_sign", "waiting"])

    def test_pdf_signed_elsewhere_keeps_its_signature(self):
        authority = ThrowawayAuthority("Autre prestataire")
        foreign = sign_pdf(make_pdf(1), authority.signer("Jean Tiers", "jean@tiers.example"), "Tiers")
        collection = self.make_collection(signers=[(self.clients[0], 1)])
        collection.document_ids.unlink()
        collection.write(
            {"document_ids": [Command.create({"name": "signe.pdf", "original_pdf": base64.b64encode(foreign)})]}
        )
        collection.action_launch()
        self._sign_all(collection)
        self.assertEqual(collection.state, "done", collection.seal_error)
        data = base64.b64decode(collection.document_ids.signed_pdf)
        signer = collection.signer_ids
        self.assert_sound_pdf(
            data,
            ["Tiers", f"esign_signer_{signer.id}", pades.SEAL_FIELD, pades.TIMESTAMP_FIELD],
            extra_roots=[authority.root],
        )
        self.assertEqual(pdfsig_validity_lines(data)[:3], ["Signature is Valid."] * 3)

    def test_without_timestamp_authority_signatures_are_plain(self):
        self.company.esign_tsa_url = False
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        requests = self.tsa.requests
        self._sign_all(collection)
        data = base64.b64decode(collection.document_ids.signed_pdf)
        self.assert_sound_pdf(
            data,
            [pades.CERTIFICATION_FIELD, f"esign_signer_{collection.signer_ids.id}", pades.SEAL_FIELD],
            timestamped=False,
        )
        self.assertEqual(self.tsa.requests, requests, "no timestamp asked")

    def test_timestamp_authority_down_nothing_recorded_then_retry(self):
        collection = self._collection(self.clients[:2])
        collection.action_launch()
        first, second = collection.signer_ids.sorted("signing_order")
        as_signer(first)._sign_checked()
        before = (collection.document_ids.signed_sha256, len(collection.event_ids))
        down = LocalTimestampAuthority().start()
        down.stop()
        self.company.esign_tsa_url = down.url
        for signer in (second,):
            with self.assertRaisesRegex(UserError, "timestamp authority could not be reached.*try again"):
                as_signer(signer)._sign_checked(signature_image=drawn_signature())
            self.assertEqual(signer.state, "to_sign", "the signature is not recorded")
            self.assertFalse(signer.certificate_pem)
            self.assertEqual((collection.document_ids.signed_sha256, len(collection.event_ids)), before)
        self.company.esign_tsa_url = self.tsa.url
        as_signer(second)._sign_checked(signature_image=drawn_signature())
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        self.assert_sound_pdf(
            base64.b64decode(collection.document_ids.signed_pdf),
            [
                pades.CERTIFICATION_FIELD,
                f"esign_signer_{first.id}",
                f"esign_signer_{second.id}",
                pades.SEAL_FIELD,
                pades.TIMESTAMP_FIELD,
            ],
        )

    def test_seal_failure_keeps_the_signatures_and_is_retried(self):
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        signer = collection.signer_ids
        original = self.company._esign_validation_context

        def unreachable(timestamper):
            raise timestamp_client.TimestampUnavailable("down")

        self.patch(
            type(self.company), "_esign_validation_context", lambda company, timestamper: unreachable(timestamper)
        )
        now = fields.Datetime.now()
        with freeze_time(now):
            as_signer(signer)._sign_checked()
            signed_revision = collection.document_ids.signed_sha256
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 1)
        self.assertEqual((signer.state, collection.state), ("signed", "sealing"), "the signature stays")
        self.assertEqual(collection.state, "sealing", "the seal waits for the next run")
        self.assertIn("try again", collection.seal_error)
        self.assertFalse(collection.document_ids.sealed_date)
        self.assertEqual(collection.document_ids.signed_sha256, signed_revision, "nothing half-sealed")
        self.assertIn("retried", collection.message_ids[0].body, "the preparer is told")
        self.patch(type(self.company), "_esign_validation_context", original.__func__)
        with freeze_time(now + timedelta(minutes=10)):
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 1)
        self.assertEqual(collection.state, "done")
        self.assertFalse(collection.seal_error)
        self.assertTrue(collection.document_ids.sealed_date)

    def test_one_collection_failing_does_not_hold_the_seal_queue(self):
        broken, fine = self._collection(self.clients[:1]), self._collection(self.clients[1:2])
        (broken | fine).action_launch()
        for collection in (broken, fine):
            as_signer(collection.signer_ids)._sign_checked()
        original = type(broken)._esign_seal_documents

        def seal(collections, sealing=None):
            if broken in collections:
                raise ValueError("unexpected")
            return original(collections, sealing)

        self.patch(type(broken), "_esign_seal_documents", seal)
        with self.assertLogs("odoo.addons.engagement_letter_esign.models.esign_collection_seal", level="ERROR"):
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 2)
        self.assertEqual(fine.state, "done")
        self.assertEqual(broken.state, "sealing", "kept for the next run")
        self.assertIn("server log", broken.seal_error)
        self.assertEqual(broken.signer_ids.state, "signed")

    def test_no_signature_after_the_seal(self):
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        self._sign_all(collection)
        document = collection.document_ids
        data = base64.b64decode(document.signed_pdf)
        credential = self.company._esign_issue_signer_credential("Intrus", "intrus@example.com")
        with self.assertRaises(pades.SigningRefused):
            pades.sign_pdf(data, credential, pades.SignatureSpec("esign_signer_999", Stamp("x")))
        with self.assertRaisesRegex(UserError, "sealed"):
            document._esign_check_not_sealed()
        with self.assertRaises(UserError):
            as_signer(collection.signer_ids)._sign_checked()

    def test_an_uncertified_document_is_refused_not_certified_on_the_way(self):
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        document = collection.document_ids
        certified = document.signed_sha256
        # A revision without the firm's certification, as no launch leaves one.
        self.patch(type(document), "_current_pdf", lambda doc: base64.b64decode(doc.original_pdf))
        with self.assertRaisesRegex(UserError, "not certified by the firm when the collection was launched"):
            as_signer(collection.signer_ids)._sign_checked(signature_image=drawn_signature())
        self.assertEqual(collection.signer_ids.state, "to_sign", "nothing is recorded")
        self.assertEqual(document.signed_sha256, certified)
        self.assertFalse(collection.event_ids.filtered(lambda e: e.event_type == "signed"))

    def test_firm_signatory_signs_with_own_rights(self):
        collection = self._collection([self.clients[0], self.signatory.partner_id])
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        as_signer(client)._sign_checked()
        firm.with_user(self.signatory)._sign_checked(signature_image=drawn_signature())
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        self.assertTrue(collection.document_ids.sealed_date)
        with self.assertRaises(AccessError):
            self.company._esign_certificates("authority").with_user(self.signatory).read(["key_secret"])

    def test_drawn_signature_must_be_an_image(self):
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        png = base64.b64decode(drawn_signature())
        signer = collection.signer_ids
        for accepted in (
            png,
            drawn_signature(),
            drawn_signature().encode(),
            "data:image/png;base64," + drawn_signature(),
        ):
            self.assertEqual(signer._esign_signature_png(accepted), png)
        with self.assertRaisesRegex(UserError, "not a readable image"):
            as_signer(collection.signer_ids)._sign_checked(signature_image="bm90IGFuIGltYWdl")
        self.assertEqual(collection.signer_ids.state, "to_sign")


@tagged("post_install", "-at_install")
class TestCompanyAuthority(PadesCase):
    def test_authority_created_once_key_encrypted_and_hidden(self):
        company = self.env["res.company"].create({"name": "Cabinet Neuf", "country_id": self.env.ref("base.fr").id})
        self.assertFalse(company._esign_trust_roots(), "nothing is created to verify")
        pem = company._esign_ca_certificate_pem()
        self.assertEqual(company._esign_ca_certificate_pem(), pem, "created once")
        certificate = pki.load_certificate_pem(pem)
        self.assertTrue(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        secret = company._esign_certificates("authority").key_secret
        self.assertTrue(secret.startswith("v1:"))
        self.assertNotIn("PRIVATE", secret)
        with self.assertRaises(AccessError):
            company._esign_certificates("authority").with_user(self.manager).read(["key_secret"])
        self.assertEqual(company._esign_trust_roots()[0].dump(), pki.certificate_der(certificate))

    def test_copied_database_secret_then_renewal(self):
        collection = self._collection(self.clients[:2])
        collection.action_launch()
        first, second = collection.signer_ids.sorted("signing_order")
        as_signer(first)._sign_checked()
        old_root = self.company._esign_trust_roots()[0]
        self.env["ir.config_parameter"].sudo().set_param("database.secret", "a-new-secret-after-a-copy")
        with self.assertRaisesRegex(UserError, "cannot be decrypted"):
            as_signer(second)._sign_checked()
        self.assertEqual(second.state, "to_sign")
        self.env["res.config.settings"].create({}).action_esign_renew_ca()
        self.company.esign_tsa_url = self.tsa.url  # encrypted too: entered again, as the message asks
        as_signer(second)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        roots = self.company._esign_trust_roots()
        self.assertEqual(len(roots), 2, "the new authority and the previous one")
        self.assertIn(old_root.dump(), [root.dump() for root in roots])
        self.assert_sound_pdf(
            base64.b64decode(collection.document_ids.signed_pdf),
            [
                pades.CERTIFICATION_FIELD,
                f"esign_signer_{first.id}",
                f"esign_signer_{second.id}",
                pades.SEAL_FIELD,
                pades.TIMESTAMP_FIELD,
            ],
        )

    def test_signer_certificate_is_short_lived_and_names_the_signer(self):
        credential = self.company._esign_issue_signer_credential("Sophie Martin", "sophie@boulangerie.example")
        certificate = credential.certificate
        self.assertLessEqual(certificate.not_valid_after_utc - certificate.not_valid_before_utc, timedelta(hours=2))
        self.assertIn("Sophie Martin", certificate.subject.rfc4514_string())
        self.assertIn("sophie@boulangerie.example", certificate.subject.rfc4514_string())
        self.assertNotIn("+33", certificate.subject.rfc4514_string(), "the mobile stays in the evidence")
        self.assertIn(f"/esign/ca/{self.company.id}.crl", str(certificate.extensions))

    def test_crl_signed_by_the_authority(self):
        crl = x509.load_der_x509_crl(self.company._esign_crl())
        ca = pki.load_certificate_pem(self.company._esign_ca_certificate_pem())
        self.assertTrue(crl.is_signature_valid(ca.public_key()))
        self.assertEqual(len(crl), 0)
        self.assertIsNotNone(asn1_crl.CertificateList.load(self.company._esign_crl()))


@tagged("post_install", "-at_install")
class TestPadesSettings(PadesCase):
    def test_timestamp_authority_settings(self):
        with Form(self.env["res.config.settings"]) as form:
            form.esign_tsa_url = "https://tsa.example.com/tsr"
            form.esign_tsa_username = "cabinet"
            form.esign_tsa_password = "s3cret-tsa"
        form.record.execute()
        self.assertEqual(self.company.esign_tsa_url, "https://tsa.example.com/tsr")
        secret = self.company.sudo().esign_tsa_password_secret
        self.assertTrue(secret.startswith("v1:") and "s3cret" not in secret, "stored encrypted")
        timestamper = self.company._esign_timestamper()
        self.assertEqual(
            (timestamper.url, timestamper.auth.username, timestamper.auth.password),
            ("https://tsa.example.com/tsr", "cabinet", "s3cret-tsa"),
        )
        action = self.env["res.config.settings"].create({}).action_esign_download_ca_der()
        self.assertEqual(action["url"], f"/esign/ca/{self.company.id}.cer")
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.esign_tsa_password_set)
        self.assertTrue(settings.esign_ca_fingerprint, "the fingerprint to compare in Acrobat")
        settings.action_esign_clear_tsa_password()
        self.assertFalse(self.company.sudo().esign_tsa_password_secret)

    def test_timestamp_authority_with_credentials(self):
        guarded = LocalTimestampAuthority(credentials=("cabinet", "s3cret-tsa")).start()
        self.addCleanup(guarded.stop)
        self.company.write({"esign_tsa_url": guarded.url, "esign_tsa_username": "cabinet"})
        self.company._esign_set_tsa_password("wrong")
        collection = self._collection(self.clients[:1])
        with self.assertRaisesRegex(UserError, "try again"):
            collection.action_launch()
        self.assertEqual(collection.state, "draft", "the certification failed: nothing was launched")
        self.company._esign_set_tsa_password("s3cret-tsa")
        collection.action_launch()
        as_signer(collection.signer_ids)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        self.assertGreaterEqual(guarded.requests, 4, "certification, signature, seal and document timestamps")

    def test_stamp_in_french(self):
        load_french(self.env)
        self.clients[0].lang = "fr_FR"
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        self._sign_all(collection)
        data = base64.b64decode(collection.document_ids.signed_pdf)
        text = pdf_text(data, last_page(data))
        self.assertIn("Signé électroniquement par", text)
        self.assertIn("Client 1 Évêque", text)


@tagged("post_install", "-at_install")
class TestSealCertificate(PadesCase):
    def _provider_p12(self, password="secret", **options):  # noqa: S107
        provider = pki.new_authority("Prestataire de confiance")
        seal = pki.issue_certificate(provider, "Cabinet Dupont", organization="Cabinet Dupont", **options)
        return provider, seal, pki.pkcs12_bytes(seal, password)

    def _upload(self, data, password):
        settings = self.env["res.config.settings"].create(
            {"esign_seal_upload": base64.b64encode(data), "esign_seal_upload_password": password}
        )
        settings.execute()

    def test_upload_refusals(self):
        _provider, _seal, p12 = self._provider_p12(lifetime=timedelta(days=365))
        expired_now = pki.utcnow() - timedelta(days=400)
        _p, _s, expired = self._provider_p12(lifetime=timedelta(days=30), now=expired_now)
        provider = pki.new_authority("Prestataire")
        wrong_usage = pki.issue_certificate(provider, "Cabinet Dupont")
        wrong_usage.certificate = (
            x509.CertificateBuilder()
            .subject_name(wrong_usage.certificate.subject)
            .issuer_name(provider.certificate.subject)
            .public_key(wrong_usage.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(pki.utcnow() - timedelta(days=1))
            .not_valid_after(pki.utcnow() + timedelta(days=30))
            .add_extension(pki._key_usage(key_cert_sign=True), critical=True)
            .sign(provider.key, pki.hashes.SHA256())
        )
        cases = [
            (b"PK\x03\x04 a zip file", "secret", "not a PKCS#12"),
            (p12, "wrong", "password does not open"),
            (pki.pkcs12_bytes(wrong_usage, "secret"), "secret", "may not be used to sign"),
            (expired, "secret", "expired on"),
        ]
        for data, password, message in cases:
            with self.subTest(message=message):
                with self.assertRaisesRegex(UserError, message):
                    self._upload(data, password)
                self.assertFalse(self.company.esign_seal_subject)
                self.assertFalse(self.company._esign_certificates("provider_seal"))

    def test_seal_with_non_repudiation_only(self):
        provider = pki.new_authority("Prestataire qualifié")
        key = pki.ec.generate_private_key(pki.ec.SECP256R1())
        certificate = (
            x509.CertificateBuilder()
            .subject_name(pki._name("Cabinet Dupont", organization="Cabinet Dupont"))
            .issuer_name(provider.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(pki.utcnow() - timedelta(days=1))
            .not_valid_after(pki.utcnow() + timedelta(days=365))
            .add_extension(pki._key_usage(content_commitment=True), critical=True)
            .sign(provider.key, pki.hashes.SHA256())
        )
        seal = pki.Credential(key=key, certificate=certificate, chain=(provider.certificate,))
        self._upload(pki.pkcs12_bytes(seal, "secret"), "secret")
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        self._sign_all(collection)
        self.assertEqual(collection.state, "done")
        data = base64.b64decode(collection.document_ids.signed_pdf)
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        self.assertEqual(signatures[2].signer_cert.dump(), pki.certificate_der(certificate))

    def test_uploaded_seal_is_used_and_trusted(self):
        provider, seal, p12 = self._provider_p12(lifetime=timedelta(days=365))
        self._upload(p12, "secret")
        self.assertIn("Cabinet Dupont", self.company.esign_seal_subject)
        password_secret = self.company._esign_certificates("provider_seal").password_secret
        self.assertTrue(password_secret.startswith("v1:"))
        self.assertNotIn("secret", password_secret)
        roots = {root.dump() for root in self.company._esign_trust_roots()}
        self.assertIn(pki.certificate_der(provider.certificate), roots)
        collection = self._collection(self.clients[:1])
        collection.action_launch()
        self._sign_all(collection)
        signatures = self.assert_sound_pdf(
            base64.b64decode(collection.document_ids.signed_pdf),
            [
                pades.CERTIFICATION_FIELD,
                f"esign_signer_{collection.signer_ids.id}",
                pades.SEAL_FIELD,
                pades.TIMESTAMP_FIELD,
            ],
        )
        self.assertEqual(signatures[0].signer_cert.dump(), pki.certificate_der(seal.certificate), "it certifies")
        self.assertEqual(signatures[2].signer_cert.dump(), pki.certificate_der(seal.certificate), "it seals")
        self.env["res.config.settings"].create({}).action_esign_remove_seal()
        self.assertFalse(self.company.esign_seal_subject)


@tagged("post_install", "-at_install")
class TestAuthorityRoutes(HttpCase):
    def test_public_crl_and_certificate(self):
        company = self.env.company
        self.assertEqual(self.url_open(f"/esign/ca/{company.id + 1000}.crl").status_code, 404)
        pem = company._esign_ca_certificate_pem()
        response = self.url_open(f"/esign/ca/{company.id}.crl")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pkix-crl")
        crl = x509.load_der_x509_crl(response.content)
        self.assertTrue(crl.is_signature_valid(pki.load_certificate_pem(pem).public_key()))
        self.assertEqual(self.url_open(f"/esign/ca/{company.id}.pem").text, pem)
        der = self.url_open(f"/esign/ca/{company.id}.cer").content
        self.assertEqual(der, company._esign_ca_certificate_der())


@tagged("post_install", "-at_install")
class TestCertificateNames(BaseCase):
    """Names in certificates are cut to what X.509 allows, counted in bytes: accents take two."""

    def _common_name(self, credential):
        return credential.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value

    def test_long_accented_names_fit(self):
        firm = "Cabinet Durand & Associés d'expertise comptable é"
        name = "Autorité de signature électronique de Cabinet Durand & Associés"
        authority = pki.new_authority(name, organization=firm, country="FR")
        self.assertLessEqual(len(self._common_name(authority).encode()), 64)
        self.assertTrue(name.startswith(self._common_name(authority)), "cut at the end, on a whole character")
        signer_name = "Marie-Hélène de La Rochefoucauld-Liancourt-Élisabeth Éloïse Ézéchiel"
        signer = pki.issue_certificate(authority, signer_name)
        self.assertLessEqual(len(self._common_name(signer).encode()), 64)
        self.assertTrue(signer_name.startswith(self._common_name(signer)))


@tagged("post_install", "-at_install")
class TestSigningServices(BaseCase):
    """The signing services without Odoo: what they accept, and what they refuse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.authority = pki.new_authority("Cabinet Essai - autorite", organization="Cabinet Essai", country="FR")
        cls.places = (
            pades.FieldPlace(pades.SIGNER_FIELD % 1, "Sophie Martin", 0, (30, 30, 200, 114)),
            pades.FieldPlace(pades.SEAL_FIELD, "Cachet", 0, (210, 30, 380, 114)),
        )

    def _certified(self):
        seal = pki.issue_certificate(self.authority, "Cabinet Essai", lifetime=pki.SEAL_LIFETIME)
        return pades.certify_pdf(make_pdf(2), seal, pades.FieldLayout(self.places))

    def test_a_stamp_needs_its_text(self):
        for text in ("", "  \n ", None):
            with self.subTest(text=text), self.assertRaisesRegex(ValueError, "needs its text"):
                Stamp(text)
        with self.assertRaises(TypeError):
            Stamp("Signé par\nSophie Martin", image_png=drawn_signature())  # base64 text, not image bytes
        stamp = Stamp("Signé électroniquement par\nŁukasz Wróbel\nle 02/12/2026", base64.b64decode(drawn_signature()))
        self.assertEqual(stamp.lines, "Signé électroniquement par\nLukasz Wróbel\nle 02/12/2026")
        with self.assertRaises(AttributeError):
            stamp.text = "autre chose"

    def test_fields_and_signatures_are_checked_when_made(self):
        with self.assertRaisesRegex(ValueError, "needs a name"):
            pades.FieldPlace("", "Sans nom")
        with self.assertRaisesRegex(ValueError, "is empty"):
            pades.FieldPlace("esign_signer_1", "Sophie Martin", 0, (200, 30, 30, 114))
        with self.assertRaisesRegex(ValueError, "not a page number"):
            pades.FieldPlace("esign_signer_1", "Sophie Martin", -1, (30, 30, 200, 114))
        self.assertEqual(pades.FieldPlace("a", "A", 0, [30, 30, 200, 114]).box, (30, 30, 200, 114))
        with self.assertRaisesRegex(ValueError, "same name"):
            pades.FieldLayout([self.places[0], self.places[0]])
        with self.assertRaises(TypeError):
            pades.FieldLayout([("esign_seal", "Cachet")])
        self.assertEqual(pades.FieldLayout(list(self.places)).places, self.places)
        with self.assertRaisesRegex(ValueError, "name of its field"):
            pades.SignatureSpec("", Stamp("Signé"))
        with self.assertRaises(TypeError):
            pades.SignatureSpec(pades.SIGNER_FIELD % 1, "Signé")

    def test_signing_an_uncertified_document_is_refused(self):
        credential = pki.issue_certificate(self.authority, "Sophie Martin", email="sophie@boulangerie.example")
        spec = pades.SignatureSpec(pades.SIGNER_FIELD % 1, Stamp("Signé par\nSophie Martin"), "Sophie Martin")
        with self.assertRaises(pades.SigningRefused) as refused:
            pades.sign_pdf(make_pdf(2), credential, spec)
        self.assertEqual(refused.exception.reason, "uncertified")
        with self.assertRaises(pades.SigningRefused) as refused:
            pades.sign_pdf(make_pdf(2), credential, replace(spec, places=self.places))
        self.assertEqual(refused.exception.reason, "uncertified", "no field is laid out on the way either")
        certified = self._certified()
        signed = pades.sign_pdf(certified, credential, spec)
        signatures = PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures
        self.assertEqual([s.field_name for s in signatures], [pades.CERTIFICATION_FIELD, pades.SIGNER_FIELD % 1])
        self.assertEqual(pdfsig_validity_lines(signed), ["Signature is Valid."] * 2)
        for embedded in signatures:
            held = len(asn1_cms.ContentInfo.load(embedded.pkcs7_content).dump())
            self.assertLess(len(embedded.pkcs7_content), 2.5 * held, "the container's room fits what it holds")
