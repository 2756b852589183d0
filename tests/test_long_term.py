"""PAdES B-LTA that outside validators accept: the sealed file proves every signature by itself.

The timestamp authority of these tests is a real one on 127.0.0.1 whose certificate, like every
public authority's, declares a CRL address and an OCSP responder (tests/tsa.py); pyHanko's AdES
long-term validation then runs with fetching disabled, from the data in the file alone.
"""

import asyncio
import base64
import io
import subprocess
import tempfile
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from freezegun import freeze_time
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..services import pades, pades_level
from ..services.pdf_verify import check_pdf_signatures
from .common import as_signer
from .test_attacks import RpcAttackMixin
from .test_pades import PadesCase, pdfsig_validity_lines
from .tsa import LocalTimestampAuthority


def lta_results(data, roots):
    """pyHanko's AdES LTA validation of each signature of ``data``, from the file alone (no fetching)."""
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=list(roots)),
                revinfo_policy=CertRevTrustPolicy(
                    RevocationCheckingPolicy(
                        RevocationCheckingRule.CHECK_IF_DECLARED, RevocationCheckingRule.CHECK_IF_DECLARED
                    )
                ),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    return {
        embedded.field_name: asyncio.run(ades_lta_validation(embedded, spec)).ades_subindic
        for embedded in reader.embedded_signatures
        if embedded.sig_object_type != "/DocTimeStamp"
    }


def pdfsig_output(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(["pdfsig", handle.name], capture_output=True, check=False).stdout.decode()


class LongTermCase(PadesCase):
    def use_authority(self, authority):
        """Point the company at ``authority`` for this test, and back at the shared one after."""
        self.company.esign_tsa_url = authority.url
        self.addCleanup(setattr, self.company, "esign_tsa_url", self.tsa.url)

    def signed_collection(self, partners=None):
        collection = self._collection(partners or (self.clients[:1] + self.signatory.partner_id))
        collection.action_launch()
        for signer in collection.signer_ids.sorted("signing_order"):
            as_signer(signer)._sign_checked()
        return collection


@tagged("post_install", "-at_install")
class TestLongTermValidation(LongTermCase):
    def test_sealed_file_passes_ades_lta_from_the_file_alone(self):
        authority = LocalTimestampAuthority().start()
        self.addCleanup(authority.stop)
        self.use_authority(authority)
        collection = self.signed_collection()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done", collection.seal_error)
        document = collection.document_ids
        data = base64.b64decode(document.signed_pdf)
        self.assertGreaterEqual(authority.hits["/ocsp"], 1, "the TSA certificate's status was asked")
        self.assertGreaterEqual(authority.hits["/root.crl"], 1, "the TSA intermediate's status was asked")
        # Ten years later: every server is gone; the file alone must prove every signature.
        authority.revocation_down = True
        authority.stop()
        roots = self.company._esign_verification_roots()
        self.assertIn(authority.root.dump(), [root.dump() for root in roots], "the TSA root is trusted")
        results = lta_results(data, roots)
        self.assertEqual(len(results), 4, "certification, two signatures, seal")
        for name, result in results.items():
            with self.subTest(signature=name):
                self.assertEqual(result, AdESPassed.OK)
        report = pades_level.pades_level(data)
        self.assertEqual(report.level, "B-LTA", report.missing)
        self.assertEqual(document.pades_level, "B-LTA")
        self.assertEqual(
            document.archive_expiry,
            authority.tsa_certificate.not_valid_after_utc.replace(tzinfo=None),
            "renewal is due before the TSA certificate expires",
        )
        # The verifier and the evidence report trust what the firm configured, as an outside validator would.
        checks = check_pdf_signatures(data, roots)
        self.assertEqual([check.sound for check in checks], [True] * 5, [c.problems for c in checks])
        report = self.env["report.engagement_letter_esign.report_esign_evidence"]
        with self.assertNoLogs("pyhanko_certvalidator", level="WARNING"):
            evidence = report._get_report_values(collection.ids)["evidence"][collection.id]
        self.assertTrue(all(check.trusted for check in evidence["signatures"][document.id]), "the timestamp is trusted")
        self.assertEqual(evidence["levels"][document.id], ("B-LTA", []))
        # Poppler checks the same file.
        self.assertEqual(pdfsig_validity_lines(data)[:4], ["Signature is Valid."] * 4)
        self.assertIn("Test TSA", pdfsig_output(data))

    def test_level_says_what_is_missing(self):
        collection = self.signed_collection(self.clients[:1])
        data = base64.b64decode(collection.document_ids.signed_pdf)
        report = pades_level.pades_level(data)
        self.assertEqual(report.level, "B-T", "timestamped, no validation data yet")
        codes = {code for code, _detail in report.missing}
        self.assertIn("no_revocation_data", codes)
        sentences = collection.document_ids._esign_level_explanation(report)
        self.assertTrue(any("Test TSA" in sentence for sentence in sentences), sentences)
        values = self.env["esign.verification"]._pades_level_values(data)
        self.assertEqual(values["pades_level"], "B-T")
        self.assertIn("B-LT not reached", values["pades_missing"])

    def test_revocation_server_down_keeps_the_seal_pending_and_retries(self):
        authority = LocalTimestampAuthority().start()
        self.addCleanup(authority.stop)
        self.use_authority(authority)
        collection = self.signed_collection(self.clients[:1])
        signed = collection.document_ids.signed_sha256
        authority.revocation_down = True
        now = fields.Datetime.now()
        with freeze_time(now):
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 1)
        self.assertEqual(collection.state, "sealing")
        self.assertIn("revocation status", collection.seal_error)
        self.assertIn("Test TSA", collection.seal_error)
        self.assertEqual(collection.seal_attempts, 1)
        self.assertEqual(collection.document_ids.signed_sha256, signed, "nothing half-sealed")
        self.assertFalse(collection.document_ids.pades_level)
        told = collection.message_ids.filtered(lambda m: "retried" in (m.body or ""))
        self.assertEqual(len(told), 1, "the preparer is told")
        with freeze_time(now + timedelta(minutes=2)):
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 0, "not before 5 minutes")
        with freeze_time(now + timedelta(minutes=6)):
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 1)
        self.assertEqual(collection.seal_attempts, 2)
        with freeze_time(now + timedelta(minutes=12)):
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 0, "10 minutes after the second failure")
        self.assertEqual(
            len(collection.message_ids.filtered(lambda m: "retried" in (m.body or ""))), 1, "told once only"
        )
        authority.revocation_down = False
        with freeze_time(now + timedelta(minutes=17)):
            self.assertEqual(self.env["esign.collection"]._cron_seal(), 1)
        self.assertEqual(collection.state, "done")
        self.assertEqual(collection.document_ids.pades_level, "B-LTA")

    def test_revoked_timestamp_certificate_is_reported(self):
        authority = LocalTimestampAuthority().start()
        self.addCleanup(authority.stop)
        self.use_authority(authority)
        collection = self.signed_collection(self.clients[:1])
        authority.revoke_tsa()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "sealing", "a revoked authority proves nothing: no seal")
        self.assertIn("Test TSA", collection.seal_error)
        self.assertIn("revoked", collection.seal_error)
        self.assertFalse(collection.document_ids.sealed_date)

    def test_tsa_root_uploaded_in_the_settings(self):
        authority = LocalTimestampAuthority(embed_root=False).start()
        self.addCleanup(authority.stop)
        self.use_authority(authority)
        settings = self.env["res.config.settings"].create({})
        leaf_pem = authority.tsa_certificate.public_bytes(serialization.Encoding.PEM)
        for content in (b"not a certificate", leaf_pem):
            with self.subTest(content=content[:10]), self.assertRaisesRegex(UserError, "authority"):
                settings.esign_tsa_root_upload = base64.b64encode(content)
                settings.set_values()
        self.assertFalse(self.company.esign_tsa_root_subject)
        settings.esign_tsa_root_upload = base64.b64encode(
            authority.root_certificate.public_bytes(serialization.Encoding.DER)
        )
        settings.set_values()
        self.assertIn("Test TSA Root", self.company.esign_tsa_root_subject)
        collection = self.signed_collection(self.clients[:1])
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done", collection.seal_error)
        data = base64.b64decode(collection.document_ids.signed_pdf)
        roots = self.company._esign_verification_roots()
        self.assertIn(authority.root.dump(), [root.dump() for root in roots])
        authority.revocation_down = True
        outside_roots = [authority.root, *self.company._esign_trust_roots()]
        self.assertEqual(set(lta_results(data, outside_roots).values()), {AdESPassed.OK})
        settings.action_esign_remove_tsa_root()
        self.assertFalse(self.company.esign_tsa_root_subject)

    def test_archive_timestamp_renewed_before_expiry(self):
        first = LocalTimestampAuthority().start()
        self.addCleanup(first.stop)
        self.use_authority(first)
        collection = self.signed_collection(self.clients[:1])
        self.env["esign.collection"]._cron_seal()
        document = collection.document_ids
        self.assertEqual(document.pades_level, "B-LTA")
        Collection = self.env["esign.collection"]
        self.company.esign_archive_renewal_days = 0
        self.assertEqual(Collection._cron_renew_archive_timestamps(), 0, "renewal turned off")
        # The authority renewed its certificate; the firm renews the archive a year before expiry.
        second = LocalTimestampAuthority().start()
        self.addCleanup(second.stop)
        self.company.esign_tsa_url = second.url
        self.company.esign_archive_renewal_days = 400
        before = document.archive_expiry
        self.assertEqual(Collection._cron_renew_archive_timestamps(), 1)
        data = base64.b64decode(document.signed_pdf)
        embedded = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        stamps = [e for e in embedded if e.sig_object_type == "/DocTimeStamp"]
        self.assertEqual([s.field_name for s in stamps], [pades.TIMESTAMP_FIELD, f"{pades.TIMESTAMP_FIELD}_2"])
        self.assertEqual(pades_level.pades_level(data).level, "B-LTA")
        self.assertGreaterEqual(document.archive_expiry, before)
        renewed = collection.event_ids.filtered(lambda e: e.event_type == "archive_timestamp")
        self.assertEqual(renewed.document_sha256, document.signed_sha256)
        self.assertFalse(collection._verify_event_chain())
        first.revocation_down = second.revocation_down = True
        roots = self.company._esign_verification_roots()
        self.assertEqual(set(lta_results(data, roots).values()), {AdESPassed.OK})
        checks = check_pdf_signatures(data, roots)
        self.assertTrue(
            all(check.sound for check in checks),
            [(c.field_name, c.intact, c.valid, c.trusted, c.changes_allowed, c.coverage) for c in checks],
        )
        first.revocation_down = second.revocation_down = False
        self.company.esign_archive_renewal_days = 90
        self.assertEqual(Collection._cron_renew_archive_timestamps(), 0, "not due any more")


@tagged("post_install", "-at_install")
class TestLongTermAttacks(RpcAttackMixin, HttpCase, LongTermCase):
    def test_nobody_writes_levels_attempts_or_timestamp_chains(self):
        collection = self.signed_collection(self.clients[:1])
        self.env["esign.collection"]._cron_seal()
        document = collection.document_ids
        tsa_ids = self.company._esign_certificates("tsa").ids
        self.assertTrue(tsa_ids, "the timestamp authority's chain was learnt")
        self.env.ref("base.user_admin").write({"password": "esign_lta_admin", "login": "esign_lta_admin"})
        for login in ("esign_preparer", "esign_manager", "esign_lta_admin"):
            self.authenticate(login, login if login != "esign_lta_admin" else "esign_lta_admin")
            with self.subTest(login=login):
                self.assert_refused(
                    self.call_kw("esign.document", "write", [document.ids, {"pades_level": "B-B"}]),
                    "document level",
                )
                self.assert_refused(
                    self.call_kw("esign.collection", "write", [collection.ids, {"seal_attempts": 0}]),
                    "seal attempts",
                )
                self.assert_refused(
                    self.call_kw("esign.certificate", "write", [tsa_ids, {"certificate_pem": "forged"}]),
                    "timestamp authority chain",
                )
                self.assert_refused(
                    self.call_kw(
                        "esign.certificate",
                        "create",
                        [{"company_id": self.company.id, "kind": "tsa", "certificate_pem": "forged"}],
                    ),
                    "timestamp authority chain",
                )
                if login != "esign_lta_admin":
                    self.assert_refused(
                        self.call_kw("res.company", "_esign_learn_tsa_chain", [self.company.ids, []]),
                        "private method",
                    )
        self.env.invalidate_all()
        self.assertEqual(document.pades_level, "B-LTA")
        self.assertTrue(document.archive_expiry)
        self.assertEqual(self.company._esign_certificates("tsa").ids, tsa_ids)
        self.assertNotIn("forged", self.company._esign_certificates("tsa").mapped("certificate_pem"))
