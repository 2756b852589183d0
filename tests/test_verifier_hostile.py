"""The verifier under hostile uploads: bounded in time, signatures and log lines, never a 500."""

import base64
import logging
import time
from contextlib import contextmanager
from unittest.mock import patch

from pyhanko.pdf_utils import misc

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..services import pdf_verify
from . import hostile_pdfs
from .common import EsignCase, load_french, make_pdf
from .pki import ThrowawayAuthority, sign_pdf

BUDGET_PARAM = "engagement_letter_esign.verify_time_budget_seconds"
TOO_MANY = "has too many signatures to be checked here."
UNREADABLE = "cannot be read as a PDF: it is damaged."
INVALID_STRUCTURE = "Invalid structure: this signature cannot be read."
NOT_CHECKED = "This signature could not be checked."
MAX_LOG_RECORDS = 10  # the request's own lines plus at most a few of pyHanko's


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def captured_logs():
    """Every record that reaches the root logger's handlers meanwhile, from any thread.

    The test run keeps Odoo's loggers at CRITICAL: the addon's are opened to INFO for the duration,
    as on a server, so that its own lines are counted too.
    """
    handler = _Records()
    root = logging.getLogger()
    addon = logging.getLogger("odoo.addons.engagement_letter_esign")
    level = addon.level
    addon.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        addon.setLevel(level)


def _busy_signature_check(*args, **kwargs):
    """A signature check that never ends, calling pyHanko's Python code as a hostile file makes it."""
    while True:
        misc.is_regular_character(65)


class _Clock:
    """The verifier's clock in a test: time passes only when a signature check says so."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now

    @contextmanager
    def each_check_takes(self, seconds):
        """Every signature check costs ``seconds`` of this clock: the budget is hit deterministically."""
        check = pdf_verify._check_signature

        def slow_check(*args, **kwargs):
            result = check(*args, **kwargs)
            self.now += seconds
            return result

        with patch.object(pdf_verify, "time", self), patch.object(pdf_verify, "_check_signature", slow_check):
            yield


def _broken_signature_check(*args, **kwargs):
    raise ZeroDivisionError("pyHanko tripped on something nobody foresaw")


class HostileCase:
    @classmethod
    def _make_hostile(cls):
        cls.authority = ThrowawayAuthority()
        signer = cls.authority.signer("Sophie Martin", "sophie@boulangerie.example")
        cls.signed = sign_pdf(make_pdf(1), signer, "Client")
        cls.hostile = hostile_pdfs.hostile_uploads(cls.signed)


@tagged("post_install", "-at_install")
class TestHostileUploadsOverHttp(HttpCase, HostileCase):
    """Each hostile file posted to /esign/verify gets the page and its message, quickly and quietly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._make_hostile()

    def _token(self):
        page = self.url_open("/esign/verify")
        self.assertEqual(page.status_code, 200)
        return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    def _post(self, data, token, filename="lettre.pdf"):
        """(response, seconds, log records) of one upload."""
        with captured_logs() as records:
            started = time.monotonic()
            response = self.url_open(
                "/esign/verify",
                data={"csrf_token": token},
                files={"pdf_file": (filename, data, "application/pdf")},
                timeout=60,
            )
            elapsed = time.monotonic() - started
        return response, elapsed, list(records)

    def _assert_answered(self, name, response, elapsed, records, expected):
        self.assertEqual(response.status_code, 200, name)
        self.assertNotIn("Traceback", response.text, name)
        self.assertIn(expected, response.text, name)
        self.assertLess(elapsed, pdf_verify.VERIFIER_LIMITS.seconds + 5, f"{name} took {elapsed:.1f} s")
        self.assertLessEqual(len(records), MAX_LOG_RECORDS, f"{name}: {[r.getMessage()[:80] for r in records]}")
        pyhanko_records = [record for record in records if record.name.startswith("pyhanko")]
        self.assertLessEqual(len(pyhanko_records), pdf_verify.PASSED_LOG_RECORDS, name)
        self.assertFalse([record for record in records if record.exc_info], f"{name}: a stack was logged")

    def test_too_many_signatures_are_refused_at_once(self):
        token = self._token()
        for name in ("400 fields -> 1 signature", "200 distinct copies"):
            with self.subTest(name=name):
                response, elapsed, records = self._post(self.hostile[name], token)
                self._assert_answered(name, response, elapsed, records, f"lettre.pdf {TOO_MANY}")
                self.assertIn("o_esign_verify_error", response.text)
                self.assertLess(elapsed, 2, "refused before any signature is validated")

    def test_huge_fields_array_is_refused_within_the_budget(self):
        """300,000 numbers in /Fields (300,000 log lines before): parsing them is pyHanko's, ~2 s here;
        on a loaded machine the budget may stop it first, which is the page's own answer too."""
        response, elapsed, records = self._post(self.hostile["300,000-entry /Fields"], self._token())
        stopped = "o_esign_verify_stopped" in response.text
        expected = "No signature could be checked." if stopped else f"lettre.pdf {TOO_MANY}"
        self._assert_answered("300,000-entry /Fields", response, elapsed, records, expected)

    def test_malformed_signatures_are_reported_one_by_one(self):
        token = self._token()
        for name in (
            "malformed /Reference",
            "bad /ByteRange",
            "/Contents not a string",
            "100,000 nested arrays",
            "reference loops",
        ):
            with self.subTest(name=name):
                response, elapsed, records = self._post(self.hostile[name], token)
                self._assert_answered(name, response, elapsed, records, INVALID_STRUCTURE)
                self.assertIn("o_esign_verify_verdict alert-danger", response.text)

    def test_unreadable_files_get_the_page_message(self):
        token = self._token()
        for name in ("3,000 nested fields", "broken xref", "wrong startxref", "truncated file"):
            with self.subTest(name=name):
                response, elapsed, records = self._post(self.hostile[name], token)
                self._assert_answered(name, response, elapsed, records, f"lettre.pdf {UNREADABLE}")

    def test_fields_sharing_a_signature_show_it_once(self):
        data = hostile_pdfs.fields_sharing_one_signature(self.signed, count=30)
        response, elapsed, records = self._post(data, self._token())
        self._assert_answered("30 fields", response, elapsed, records, "Sophie Martin")
        self.assertEqual(response.text.count("o_esign_verify_signature_verdict"), 1)
        self.assertIn("Several signature fields point at this same signature.", response.text)

    def test_time_budget_stops_the_check_and_shows_what_was_checked(self):
        """20 signatures that take 0.6 s each, a budget of 2 s: the first 4 are shown."""
        self.env["ir.config_parameter"].sudo().set_param(BUDGET_PARAM, "2")
        data = hostile_pdfs.distinct_copies_of_signature(self.signed, count=19)
        with _Clock().each_check_takes(0.6):
            response, elapsed, records = self._post(data, self._token())
        self._assert_answered("budget", response, elapsed, records, "The check was stopped after 2 seconds")
        self.assertIn("o_esign_verify_stopped", response.text)
        self.assertIn("Only 4 of its 20 signatures were checked", response.text)
        self.assertEqual(response.text.count("o_esign_verify_signature_verdict"), 4)
        self.assertIn("Sophie Martin", response.text, "what was checked is shown")

    def test_time_budget_interrupts_a_signature_that_never_ends(self):
        self.env["ir.config_parameter"].sudo().set_param(BUDGET_PARAM, "1")
        with patch.object(pdf_verify, "_check_signature", _busy_signature_check):
            response, elapsed, records = self._post(self.signed, self._token())
        self._assert_answered("endless", response, elapsed, records, "The check was stopped after 1 seconds")
        self.assertLess(elapsed, 4)
        self.assertIn("No signature could be checked.", response.text)

    def test_unexpected_failure_is_one_warning_without_stack(self):
        data = hostile_pdfs.distinct_copies_of_signature(self.signed, count=3)
        with patch.object(pdf_verify, "_check_signature", _broken_signature_check):
            response, elapsed, records = self._post(data, self._token())
        self._assert_answered("unexpected", response, elapsed, records, NOT_CHECKED)
        warnings = [record for record in records if record.levelno >= logging.WARNING]
        self.assertEqual(len(warnings), 1, [record.getMessage() for record in warnings])
        self.assertIn("4 signature(s) of a PDF could not be checked: ZeroDivisionError", warnings[0].getMessage())

    def test_a_genuine_file_still_checks_out(self):
        response, elapsed, records = self._post(self.signed, self._token())
        self._assert_answered("genuine", response, elapsed, records, "Sophie Martin")
        self.assertIn("o_esign_verify_verdict alert-warning", response.text)
        self.assertNotIn("o_esign_verify_stopped", response.text)


@tagged("post_install", "-at_install")
class TestVerifyRateLimit(HttpCase):
    """At most 20 uploads per address per 10 minutes, counted in PostgreSQL."""

    def _upload(self, token):
        return self.url_open(
            "/esign/verify",
            data={"csrf_token": token},
            files={"pdf_file": ("photo.jpg", b"hello", "image/jpeg")},
        )

    def _attempt_rows(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT ip_address, attempt_date FROM esign_verify_attempt ORDER BY id")
        return self.env.cr.fetchall()

    def test_the_21st_upload_is_refused_and_the_count_is_in_the_database(self):
        page = self.url_open("/esign/verify")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        for number in range(1, 21):
            response = self._upload(token)
            self.assertEqual(response.status_code, 200, f"upload {number}")
            self.assertIn("photo.jpg is not a PDF file.", response.text)
        refused = self._upload(token)
        self.assertEqual(refused.status_code, 429)
        self.assertIn("Too many verifications from your connection", refused.text)
        self.assertEqual(refused.headers.get("Retry-After"), "600")
        self.assertEqual(refused.headers.get("X-Frame-Options"), "DENY")
        self.assertEqual(self.url_open("/esign/verify").status_code, 200, "the page itself stays open")

        rows = self._attempt_rows()
        self.assertEqual(len(rows), 20, "refused uploads are not stored")
        self.assertEqual({ip for ip, _date in rows}, {"127.0.0.1"})
        self.assertTrue(self.env["esign.verify.attempt"]._count_upload("203.0.113.7"), "another address is not limited")

        self.env.cr.execute("UPDATE esign_verify_attempt SET attempt_date = attempt_date - interval '11 minutes'")
        self.env.invalidate_all()
        self.assertEqual(self._upload(token).status_code, 200, "the window has passed")

    def test_limit_is_a_system_parameter(self):
        self.env["ir.config_parameter"].sudo().set_param("engagement_letter_esign.verify_rate_limit", "2")
        page = self.url_open("/esign/verify")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        self.assertEqual([self._upload(token).status_code for _i in range(3)], [200, 200, 429])

    def test_attempts_are_for_the_system_only(self):
        Attempt = self.env["esign.verify.attempt"]
        admin = self.env.ref("base.user_admin")
        for user in (admin, self.env.ref("base.public_user")):
            with self.subTest(user=user.login):
                self.assertFalse(Attempt.with_user(user).has_access("read"))
                self.assertFalse(Attempt.with_user(user).has_access("create"))

    def test_old_attempts_are_vacuumed(self):
        Attempt = self.env["esign.verify.attempt"]
        Attempt._count_upload("198.51.100.1")
        self.env.cr.execute("UPDATE esign_verify_attempt SET attempt_date = attempt_date - interval '2 days'")
        Attempt._count_upload("198.51.100.2")
        self.env.invalidate_all()
        Attempt._gc_old_attempts()
        self.assertEqual([ip for ip, _date in self._attempt_rows()], ["198.51.100.2"])


@tagged("post_install", "-at_install")
class TestHostileUploadsInTheWizard(EsignCase, HostileCase):
    """The back-office wizard has no rate limit but the same caps and budget."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._make_hostile()

    def _wizard(self, data):
        return (
            self.env["esign.verification"]
            .with_user(self.preparer)
            .create({"pdf_file": base64.b64encode(data), "pdf_filename": "lettre.pdf"})
        )

    def test_too_many_signatures(self):
        wizard = self._wizard(self.hostile["400 fields -> 1 signature"])
        with self.assertRaisesRegex(UserError, "too many signatures"):
            wizard.action_verify()
        self.assertEqual(wizard.state, "upload")

    def test_malformed_reference_is_an_invalid_line(self):
        wizard = self._wizard(self.hostile["malformed /Reference"])
        wizard.action_verify()
        self.assertEqual(wizard.verdict, "invalid")
        self.assertIn(INVALID_STRUCTURE, wizard.line_ids.mapped("problem"))

    def test_budget_stops_and_says_so(self):
        self.env["ir.config_parameter"].sudo().set_param(BUDGET_PARAM, "1")
        wizard = self._wizard(hostile_pdfs.distinct_copies_of_signature(self.signed, count=19))
        with _Clock().each_check_takes(0.4):
            wizard.action_verify()
        self.assertTrue(wizard.stopped)
        self.assertEqual(wizard.signatures_found, 20)
        self.assertEqual(wizard.signature_count, 3)
        self.assertEqual(wizard.verdict, "invalid")
        self.assertIn("The check was stopped after 1 seconds", wizard.summary)

    def test_logging_is_restored_after_the_check(self):
        loggers = [
            logger
            for name, logger in logging.Logger.manager.loggerDict.items()
            if name.startswith("pyhanko") and isinstance(logger, logging.Logger)
        ]
        before = {logger.name: list(logger.filters) for logger in loggers}
        self._wizard(self.hostile["malformed /Reference"]).action_verify()
        self.assertEqual({logger.name: list(logger.filters) for logger in loggers}, before)


@tagged("post_install", "-at_install")
class TestHostileMessagesInFrench(EsignCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)

    def test_messages(self):
        env = self.env(context={"lang": "fr_FR"})
        verification = env["esign.verification"]
        _verdict, summary = verification._summarize(["invalid"], stopped=True, found=7)
        self.assertIn("La vérification a été arrêtée", summary)
        self.assertIn("1 de ses 7 signatures", summary)
        self.assertEqual(
            env["esign.verification.line"]._problem_sentences(["invalid_structure", "not_checked"]),
            ["Structure invalide : cette signature ne peut pas être lue.", "Cette signature n'a pas pu être vérifiée."],
        )
        self.assertIn(
            "Trop de vérifications depuis votre connexion",
            env._("Too many verifications from your connection: please try again in %s minutes.", 10),
        )
        with self.assertRaisesRegex(UserError, "porte trop de signatures pour être vérifié ici"):
            verification._check_pdf_bytes(hostile_pdfs.fields_sharing_one_signature(self._signed(), 60), "x.pdf")

    def _signed(self):
        authority = ThrowawayAuthority()
        return sign_pdf(make_pdf(1), authority.signer("Sophie Martin", "sophie@boulangerie.example"), "Client")
