import html
import json
import re
from datetime import timedelta

from odoo import fields
from odoo.http import Request
from odoo.tests import HttpCase, freeze_time, tagged

from .common import EsignCase, as_signer, load_french, make_png
from .sms_server import RecordingSmsServer


class EsignPortalMixin:
    """A launched collection whose SMS go to a recording HTTP server on 127.0.0.1."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sms_server = RecordingSmsServer().__enter__()
        cls.addClassCleanup(cls.sms_server.__exit__, None, None, None)
        cls.company.sudo().write(
            {
                "esign_sms_gateway": "http",
                "esign_http_url": cls.sms_server.url + "/sms",
                "esign_http_method": "POST",
                "esign_http_headers": '{"Content-Type": "application/json"}',
                "esign_http_body": '{"to": "{to}", "text": "{message}"}',
                "esign_sms_timeout": 2,
            }
        )

    def launch(self, **kwargs):
        collection = self.make_collection(**kwargs)
        collection.action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        return collection, client, firm

    def link(self, signer):
        return f"/esign/sign/{signer.id}/{signer._issue_access_token()}"

    def last_code(self):
        return re.search(r"\b(\d{6})\b", self.sms_server.last_message()).group(1)

    def rpc(self, url, **params):
        """A JSON call of the signing page, with the session's CSRF token unless one is given."""
        params.setdefault("csrf_token", Request.csrf_token(self))
        return self.make_jsonrpc_request(url, params)


@tagged("post_install", "-at_install")
class TestSigningPage(EsignPortalMixin, HttpCase, EsignCase):
    def setUp(self):
        super().setUp()
        self.authenticate(None, None)

    def test_page_shows_documents_firm_deadline_and_logs_the_view(self):
        collection, client, firm = self.launch()
        response = self.url_open(self.link(client))
        self.assertEqual(response.status_code, 200)
        self.assertIn(collection.subject, response.text)
        self.assertIn(self.company.name, response.text)
        self.assertIn("pdfjs/web/viewer.html", response.text)
        self.assertIn("Sign before", response.text)
        self.assertIn("I have read the documents and want to sign", response.text)
        self.assertEqual(response.headers["X-Frame-Options"], "SAMEORIGIN")
        self.assertIn("frame-ancestors 'self'", response.headers["Content-Security-Policy"])
        for secret in (firm.name, firm.email, firm.mobile, client.mobile):
            self.assertNotIn(secret, response.text, "no data of another signer, no clear mobile")
        viewed = collection.event_ids.filtered(lambda e: e.event_type == "viewed")
        self.assertEqual(viewed.signer_id, client)
        self.assertEqual(viewed.ip_address, "127.0.0.1")

    def test_page_in_the_signer_language(self):
        load_french(self.env)
        self.client_fr.lang = "fr_FR"
        _collection, client, _firm = self.launch()
        response = self.url_open(self.link(client))
        self.assertIn('lang="fr-FR"', response.text)
        self.assertIn("Lisez les documents ci-dessous", response.text)
        props = json.loads(
            html.unescape(re.search(r'name="engagement_letter_esign.signing_form" props="([^"]*)"', response.text)[1])
        )
        self.assertEqual(props["labels"]["read"], "J'ai lu les documents et je souhaite signer")
        self.assertIn("J'accepte les conditions d'utilisation", props["labels"]["terms"])
        self.authenticate(None, None)
        result = self.rpc(f"{self.link(client)}/sign", code="123456", signature="", accepted=True)
        self.assertEqual(result["error"], "Veuillez dessiner votre signature.")
        client._request_signing_code()
        self.assertIn("est votre code de signature", self.sms_server.last_message())

    def test_pdf_served_to_the_viewer_only_with_the_token(self):
        collection, client, _firm = self.launch()
        document = collection.document_ids
        response = self.url_open(f"{self.link(client)}/document/{document.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF"))
        response = self.url_open(f"/esign/sign/{client.id}/bad-token/document/{document.id}")
        self.assertEqual(response.status_code, 404)

    def test_bad_token_and_token_of_another_signer_or_collection(self):
        collection, client, firm = self.launch()
        other, other_client, _other_firm = self.launch(subject="Autre lettre")
        token = client._issue_access_token()
        for url in (
            f"/esign/sign/{client.id}/not-a-token",
            f"/esign/sign/{firm.id}/{token}",
            f"/esign/sign/{other_client.id}/{token}",
            f"/esign/sign/999999/{token}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertIn("This link is not valid", response.text)
            self.assertNotIn(collection.subject, response.text)
            self.assertNotIn(other.subject, response.text)
        result = self.rpc(f"/esign/sign/{other_client.id}/{token}/code")
        self.assertIn("not valid", result["error"])
        self.assertFalse(self.sms_server.requests)

    def test_status_pages(self):
        _collection, client, firm = self.launch()
        firm_link = self.link(firm)
        self.assertIn("It is not your turn to sign yet", self.url_open(firm_link).text)
        client_link = self.link(client)
        as_signer(client)._sign_checked()
        self.assertIn("You have signed", self.url_open(client_link).text)

        _refused, refused_client, _firm = self.launch()
        link = self.link(refused_client)
        refused_client._action_refuse("Honoraires trop élevés")
        self.assertIn("The signature was refused", self.url_open(link).text)

        cancelled, cancelled_client, _firm = self.launch()
        link = self.link(cancelled_client)
        cancelled._action_cancel("Doublon")
        self.assertIn("was cancelled", self.url_open(link).text)

        expired, expired_client, _firm = self.launch()
        link = self.link(expired_client)
        expired._esign_write({"deadline": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["esign.collection"]._cron_expire()
        self.assertIn("has expired", self.url_open(link).text)
        expired._esign_write({"purge_date": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["esign.collection"]._cron_purge()
        self.assertIn("no longer available", self.url_open(link).text)

    def test_code_then_signature_and_no_double_signature(self):
        collection, client, firm = self.launch()
        link = self.link(client)
        result = self.rpc(f"{link}/code")
        self.assertEqual(result, {"masked": "+33 6•• •• •• 78"})
        request = self.sms_server.requests[-1]
        self.assertEqual(request["method"], "POST")
        self.assertIn('"to": "+33612345678"', request["body"])
        code = self.last_code()
        self.assertFalse(self.env["esign.otp"].sudo().search([("code_hash", "=", code)]), "stored hashed only")

        signature = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        wrong = "000000" if code != "000000" else "111111"
        result = self.rpc(f"{link}/sign", code=wrong, signature=signature, accepted=True)
        self.assertIn("not right", result["error"])
        result = self.rpc(f"{link}/sign", code=code, signature=signature, accepted=False)
        self.assertIn("terms of use", result["error"])
        result = self.rpc(f"{link}/sign", code=code, signature=signature, accepted=True)
        self.assertTrue(result["signed"])
        self.assertEqual(client.state, "signed")
        self.assertEqual(firm.state, "to_sign", "the next signer's turn")
        result = self.rpc(f"{link}/sign", code=code, signature=signature, accepted=True)
        self.assertTrue(result["signed"], "the second submission only confirms")
        signed = collection.event_ids.filtered(lambda e: e.event_type == "signed" and e.signer_id == client)
        self.assertEqual(len(signed), len(collection.document_ids), "signed once")
        types = collection.event_ids.mapped("event_type")
        for event_type in ("otp_sent", "otp_failed", "otp_verified", "signed"):
            self.assertIn(event_type, types)

    def test_gateway_error_leaves_collection_unchanged(self):
        collection, client, _firm = self.launch()
        self.company.sudo().esign_http_url = "http://127.0.0.1:9/nothing-listens-here"
        result = self.rpc(f"{self.link(client)}/code")
        self.assertIn("could not be sent by SMS", result["error"])
        self.assertEqual(collection.state, "in_progress")
        self.assertEqual(client.state, "to_sign")
        self.assertFalse(self.env["esign.otp"].sudo().search([("signer_id", "=", client.id)]))
        self.assertIn("otp_send_failed", collection.event_ids.mapped("event_type"))

    def test_refusal_needs_a_reason_and_csrf(self):
        collection, client, _firm = self.launch()
        link = self.link(client)
        response = self.url_open(f"{link}/refuse", data={"reason": "Non"}, allow_redirects=False)
        self.assertEqual(response.status_code, 400, "no CSRF token, no refusal")
        self.assertEqual(client.state, "to_sign")
        csrf = Request.csrf_token(self)
        response = self.url_open(f"{link}/refuse", data={"reason": "  ", "csrf_token": csrf}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("refuse_error=empty", response.headers["Location"])
        response = self.url_open(f"{link}/refuse", data={"reason": "x" * 1001, "csrf_token": csrf})
        self.assertIn("The reason is too long", response.text)
        self.assertEqual(client.state, "to_sign")
        reason = "<script>alert(1)</script> trop cher"
        response = self.url_open(f"{link}/refuse", data={"reason": reason, "csrf_token": csrf})
        self.assertIn("The signature was refused", response.text)
        self.assertEqual(collection.state, "refused")
        self.assertEqual(collection.refusal_reason, reason)

    def test_download_link_after_completion_until_purge(self):
        collection, client, firm = self.launch()
        document = collection.document_ids
        link = f"/esign/download/{client.id}/{client._issue_access_token()}/{document.id}"
        self.assertEqual(self.url_open(link).status_code, 404, "nothing to download before the end")
        as_signer(client)._sign_checked()
        as_signer(firm)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertTrue(response.content.startswith(b"%PDF"))
        downloads = collection.event_ids.filtered(lambda e: e.event_type == "downloaded")
        self.assertEqual(downloads.signer_id, client)
        self.assertEqual(self.url_open(f"/esign/download/{firm.id}/bad/{document.id}").status_code, 404)
        collection._esign_write({"purge_date": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["esign.collection"]._cron_purge()
        self.assertIn("no longer available", self.url_open(link).text)


@tagged("post_install", "-at_install")
class TestOtpRules(EsignPortalMixin, EsignCase):
    """Expiry, wrong tries, locking, resend wait and hourly limit, with time moved."""

    def request_code(self, signer, ip="10.0.0.1"):
        return signer._request_signing_code(ip_address=ip, user_agent="test")

    def code(self):
        return re.search(r"\b(\d{6})\b", self.sms_server.last_message()).group(1)

    def wrong(self, code):
        return "000000" if code != "000000" else "111111"

    def sign(self, signer, code):
        return signer._sign_with_code(code, make_png(), True, ip_address="10.0.0.1", user_agent="test")

    def test_code_expires_after_the_validity(self):
        now = fields.Datetime.now()
        _collection, client, _firm = self.launch()
        with freeze_time(now):
            self.assertIn("masked", self.request_code(client))
            code = self.code()
        with freeze_time(now + timedelta(minutes=31)):
            self.assertIn("expired", self.sign(client, code)["error"])
        self.assertEqual(client.state, "to_sign")

    def test_spent_codes_are_cleaned_up_but_locks_are_kept(self):
        now = fields.Datetime.now()
        _collection, client, _firm = self.launch()
        with freeze_time(now - timedelta(days=8)):
            self.request_code(client)
            for _attempt in range(5):
                self.sign(client, "000000" if self.code() != "000000" else "111111")
        with freeze_time(now - timedelta(days=8, minutes=-2)):
            self.request_code(client)
        self.env["esign.otp"]._gc_spent_codes()
        codes = self.env["esign.otp"].sudo().search([("signer_id", "=", client.id)])
        self.assertEqual(codes.mapped("state"), ["locked"])

    def test_sms_text_is_the_template(self):
        _collection, client, _firm = self.launch()
        self.request_code(client)
        message = self.sms_server.last_message()
        self.assertIn(self.company.name, message)
        self.assertIn("valid 30 minutes", message)

    def test_five_wrong_tries_lock_the_code(self):
        _collection, client, _firm = self.launch()
        self.request_code(client)
        code = self.code()
        for _attempt in range(4):
            self.assertIn("tries left", self.sign(client, self.wrong(code))["error"])
        self.assertIn("locked", self.sign(client, self.wrong(code))["error"])
        self.assertIn("ask for a code first", self.sign(client, code)["error"], "a locked code never works")
        self.assertEqual(client.state, "to_sign")

    def test_resend_wait_and_hourly_limit(self):
        now = fields.Datetime.now()
        _collection, client, _firm = self.launch()
        with freeze_time(now):
            self.assertIn("masked", self.request_code(client))
            self.assertIn("wait", self.request_code(client)["error"])
        for minute in range(1, 5):
            with freeze_time(now + timedelta(minutes=minute)):
                self.assertIn("masked", self.request_code(client))
        with freeze_time(now + timedelta(minutes=6)):
            self.assertIn("too many codes", self.request_code(client)["error"])
        with freeze_time(now + timedelta(minutes=61)):
            self.assertIn("masked", self.request_code(client))
            first_code = self.code()
        with freeze_time(now + timedelta(minutes=63)):
            self.assertIn("masked", self.request_code(client))
            self.assertIn("not right", self.sign(client, first_code)["error"], "replaced by the new code")
            self.assertTrue(self.sign(client, self.code())["signed"])

    def test_rate_limit_per_ip(self):
        now = fields.Datetime.now()
        signers = [self.launch()[1] for _index in range(21)]
        for index, signer in enumerate(signers[:20]):
            with freeze_time(now + timedelta(seconds=index)):
                self.assertIn("masked", self.request_code(signer, ip="10.9.9.9"))
        with freeze_time(now + timedelta(minutes=1)):
            self.assertIn("your connection", self.request_code(signers[20], ip="10.9.9.9")["error"])
            self.assertIn("masked", self.request_code(signers[20], ip="10.9.9.8"))

    def test_three_locked_codes_block_the_signer_and_warn_the_preparer(self):
        now = fields.Datetime.now()
        collection, client, _firm = self.launch()
        for round_ in range(3):
            with freeze_time(now + timedelta(minutes=2 * round_)):
                self.request_code(client)
                code = self.code()
                for _attempt in range(5):
                    result = self.sign(client, self.wrong(code))
        self.assertIn("blocked", result["error"])
        self.assertEqual(client._signing_status(), "blocked")
        with freeze_time(now + timedelta(minutes=10)):
            self.assertIn("no longer be made", self.request_code(client)["error"])
        self.assertIn("signer_blocked", collection.event_ids.mapped("event_type"))
        activity = collection.activity_ids.filtered(lambda a: "blocked" in (a.summary or ""))
        self.assertEqual(activity.user_id, self.preparer)
        self.assertIn("entered too many wrong codes", collection.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestSigningPageGuidance(EsignPortalMixin, HttpCase, EsignCase):
    """What the signer reads around the form: the firm to call, the documents, the deadline, the next step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"phone": "+33 1 42 68 53 00", "email": "contact@cabinet.example"})

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)

    def assert_firm_and_documents(self, text, collection):
        for shown in (self.company.name, "+33 1 42 68 53 00", "contact@cabinet.example"):
            self.assertIn(html.escape(shown), text)
        self.assertIn('href="tel:+33142685300"', text, "a tap calls the firm")
        self.assertIn('href="mailto:contact@cabinet.example"', text)
        self.assertIn(collection.subject, text)
        for document in collection.document_ids:
            self.assertIn(document.name, text)

    def test_signing_page_deadline_viewer_and_contact(self):
        collection, client, _firm = self.launch(documents=2)
        collection._esign_write({"deadline": fields.Datetime.to_datetime("2026-12-17 10:30:45")})
        self.preparer.tz = "Europe/Paris"
        text = self.url_open(self.link(client)).text
        self.assert_firm_and_documents(text, collection)
        deadline = re.search(r'o_esign_deadline">(.*?)</div>', text, re.S).group(1)
        deadline = " ".join(re.sub(r"<[^>]+>", " ", deadline).split())
        self.assertEqual(deadline, "Sign before December 17, 2026 at 11:30", "the firm's time, no seconds or offset")
        self.assertEqual(text.count("o_esign_open"), 2, "one Open the document button per document")
        self.assertIn("Open the document", text)

    def test_status_pages_name_the_firm_and_the_documents(self):
        collection, client, firm = self.launch()
        client_link, firm_link = self.link(client), self.link(firm)
        self.assert_firm_and_documents(self.url_open(firm_link).text, collection)
        as_signer(client)._sign_checked()
        text = self.url_open(client_link).text
        self.assertIn("You have signed", text)
        self.assertIn("When everyone has signed", text)
        self.assert_firm_and_documents(text, collection)
        self.assertNotIn("/esign/download/", text, "nothing to download before the end")

        as_signer(firm)._sign_checked()
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")
        text = self.url_open(client_link).text
        self.assertIn("Everyone has signed", text)
        self.assertNotIn("When everyone has signed", text)
        self.assert_firm_and_documents(text, collection)
        token = client_link.rsplit("/", 1)[1]
        download = f"/esign/download/{client.id}/{token}/{collection.document_ids.id}"
        self.assertIn(download, text)
        self.assertIn("Download the signed document", text)
        response = self.url_open(download)
        self.assertTrue(response.content.startswith(b"%PDF"))

        for make_state in ("refused", "cancelled", "expired"):
            other, other_client, _other_firm = self.launch(subject=f"Lettre {make_state}")
            link = self.link(other_client)
            if make_state == "refused":
                other_client._action_refuse("Honoraires")
            elif make_state == "cancelled":
                other._action_cancel("Doublon")
            else:
                other._esign_write({"deadline": fields.Datetime.now() - timedelta(minutes=1)})
                self.env["esign.collection"]._cron_expire()
            text = self.url_open(link).text
            self.assertIn(f'data-status="{make_state}"', text)
            self.assert_firm_and_documents(text, other)
            self.assertNotIn("/esign/download/", text)

    def test_sign_errors_name_the_field_they_concern(self):
        _collection, client, _firm = self.launch()
        self.assertIn("masked", client._request_signing_code(ip_address="10.0.0.1", user_agent="test"))
        code = self.last_code()
        wrong = "000000" if code != "000000" else "111111"
        self.assertEqual(client._sign_with_code(code, make_png(), False)["field"], "terms")
        self.assertEqual(client._sign_with_code(code, "", True)["field"], "signature")
        result = client._sign_with_code(wrong, make_png(), True)
        self.assertEqual(result["field"], "code")
        self.assertIn("not right", result["error"])
        self.assertFalse(result["reload"])

    def test_sms_failure_tells_the_preparer_once_per_episode(self):
        collection, client, _firm = self.launch()
        self.addCleanup(setattr, self.sms_server, "status", 200)

        def failure_activities():
            return collection.activity_ids.filtered(lambda a: "could not be sent by SMS" in (a.summary or ""))

        self.sms_server.status = 500
        for _click in range(3):
            result = client._request_signing_code(ip_address="10.0.0.1", user_agent="test")
            self.assertTrue(result["send_failed"])
        self.assertEqual(len(failure_activities()), 1, "one activity, however many clicks")
        activity = failure_activities()
        self.assertEqual(activity.user_id, self.preparer)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_warning"))
        self.assertIn(client.name, activity.summary)

        self.sms_server.status = 200
        self.assertIn("masked", client._request_signing_code(ip_address="10.0.0.1", user_agent="test"))
        self.sms_server.status = 500
        with freeze_time(fields.Datetime.now() + timedelta(minutes=5)):
            self.assertIn("error", client._request_signing_code(ip_address="10.0.0.1", user_agent="test"))
        self.assertEqual(len(failure_activities()), 2, "a new failure after a sent code is a new episode")
