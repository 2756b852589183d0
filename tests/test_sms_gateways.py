import hashlib
import json
from urllib.parse import parse_qs

from odoo.addons.sms.tests.common import MockSMS
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import BaseCase, Form, tagged

from ..services.sms_gateways import HttpGateway, OvhGateway, SmsGatewayError, TwilioGateway
from .common import EsignCase
from .sms_server import RecordingSmsServer


@tagged("post_install", "-at_install")
class TestSmsGatewayServices(BaseCase):
    """Each gateway against a real HTTP server on 127.0.0.1: request shape, timeout, error status.

    Plain services: no database needed."""

    def test_ovh_request_shape_and_signature(self):
        with RecordingSmsServer() as server:
            OvhGateway("AK", "AS", "CK", "sms-ab123-1", sender="CABINET", endpoint=server.url + "/1.0").send(
                "+33612345678", "Code 123456"
            )
        request = server.requests[0]
        self.assertEqual(request["method"], "POST")
        self.assertEqual(request["path"], "/1.0/sms/sms-ab123-1/jobs")
        body = json.loads(request["body"])
        self.assertEqual(body["receivers"], ["+33612345678"])
        self.assertEqual(body["message"], "Code 123456")
        self.assertEqual(body["sender"], "CABINET")
        headers = request["headers"]
        self.assertEqual(headers["x-ovh-application"], "AK")
        self.assertEqual(headers["x-ovh-consumer"], "CK")
        to_sign = "+".join(
            ["AS", "CK", "POST", server.url + "/1.0/sms/sms-ab123-1/jobs", request["body"], headers["x-ovh-timestamp"]]
        )
        self.assertEqual(headers["x-ovh-signature"], "$1$" + hashlib.sha1(to_sign.encode()).hexdigest())  # noqa: S324

    def test_twilio_request_shape(self):
        with RecordingSmsServer(status=201) as server:
            TwilioGateway("AC123", "secret", "+33700000000", endpoint=server.url).send("+32470123456", "Code 654321")
        request = server.requests[0]
        self.assertEqual(request["path"], "/2010-04-01/Accounts/AC123/Messages.json")
        self.assertTrue(request["headers"]["authorization"].startswith("Basic "))
        form = parse_qs(request["body"])
        self.assertEqual(form, {"To": ["+32470123456"], "From": ["+33700000000"], "Body": ["Code 654321"]})

    def test_generic_http_post_json_and_get(self):
        with RecordingSmsServer() as server:
            HttpGateway(
                server.url + "/send",
                method="PUT",
                headers={"Content-Type": "application/json", "Authorization": "Bearer xyz"},
                body_template='{"dest": "{to}", "msg": "{message}"}',
            ).send("+41791234567", 'Code "42" é')
            HttpGateway(server.url + "/get?to={to}&text={message}", method="GET").send("+41791234567", "Code 1")
        put, get = server.requests
        self.assertEqual(put["method"], "PUT")
        self.assertEqual(put["headers"]["authorization"], "Bearer xyz")
        self.assertEqual(json.loads(put["body"]), {"dest": "+41791234567", "msg": 'Code "42" é'})
        self.assertEqual(get["method"], "GET")
        self.assertEqual(get["query"], {"to": ["+41791234567"], "text": ["Code 1"]})

    def test_timeout_and_error_status(self):
        # Odoo's test harness raises any timeout below 10 s to 10 s: the server answers later.
        with RecordingSmsServer(delay=10.5) as server:
            with self.assertRaises(SmsGatewayError) as raised:
                HttpGateway(server.url, body_template="{message}", timeout=10).send("+33612345678", "x")
            self.assertIn("timeout", raised.exception.detail)
        with RecordingSmsServer(status=401) as server:
            with self.assertRaises(SmsGatewayError) as raised:
                TwilioGateway("AC1", "bad", "+33700000000", endpoint=server.url).send("+33612345678", "x")
            self.assertIn("HTTP 401", raised.exception.detail)
        with self.assertRaises(SmsGatewayError):
            HttpGateway("http://127.0.0.1:9/closed").send("+33612345678", "x")

    def test_headers_must_be_a_json_object(self):
        self.assertEqual(HttpGateway.parse_headers(""), {})
        with self.assertRaises(ValueError):
            HttpGateway.parse_headers("[1, 2]")


@tagged("post_install", "-at_install")
class TestOdooSmsGateway(MockSMS, EsignCase):
    """The default gateway: Odoo's own sms module; the code never stays in sms.sms."""

    def test_code_sent_through_odoo_sms(self):
        self.assertEqual(self.company.esign_sms_gateway, "odoo")
        collection = self.make_collection()
        collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        with self.mockSMSGateway():
            result = client._request_signing_code(ip_address="10.0.0.1")
        self.assertEqual(result, {"masked": "+33 6•• •• •• 78"})
        self.assertEqual(self._sms[0]["number"], "+33612345678")
        self.assertRegex(self._sms[0]["body"], r"\b\d{6}\b")
        self.assertFalse(self.env["sms.sms"].sudo().search([("number", "=", "+33612345678")]))

    def test_odoo_sms_failure_is_a_clear_message(self):
        collection = self.make_collection()
        collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        with self.mockSMSGateway(sim_error="server_error"):
            result = client._request_signing_code(ip_address="10.0.0.1")
        self.assertIn("could not be sent by SMS", result["error"])
        self.assertEqual(client.state, "to_sign")


@tagged("post_install", "-at_install")
class TestSmsSettings(EsignCase):
    def test_gateway_chosen_in_settings_and_secrets_kept_for_administrators(self):
        admin = self.env.ref("base.user_admin")
        with Form(self.env["res.config.settings"].with_user(admin)) as settings:
            settings.esign_sms_gateway = "twilio"
            settings.esign_twilio_account_sid = "AC123"
            settings.esign_twilio_auth_token = "secret"
            settings.esign_otp_validity_minutes = 10
        self.assertEqual(self.company.esign_sms_gateway, "twilio")
        self.assertEqual(self.company.esign_otp_validity_minutes, 10)
        with self.assertRaises(AccessError):
            self.company.with_user(self.manager).read(["esign_twilio_auth_token"])
        with self.assertRaises(ValidationError):
            self.company.esign_otp_max_attempts = 0

    def test_demonstration_gateway_only_in_a_demonstration_database(self):
        """The demonstration gateway writes codes to the log: a firm's real database refuses it."""
        base = self.env["ir.module.module"].search([("name", "=", "base")])
        base.demo = False
        with self.assertRaises(ValidationError):
            self.company.esign_sms_gateway = "demo"
        base.demo = True
        self.company.esign_sms_gateway = "demo"
        collection = self.make_collection()
        collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        with self.assertLogs("odoo.addons.engagement_letter_esign.models.esign_otp", "WARNING") as logs:
            result = client._request_signing_code(ip_address="10.0.0.1")
        self.assertEqual(result, {"masked": "+33 6•• •• •• 78"})
        self.assertRegex(logs.output[0], r"\+33612345678: .*\b\d{6}\b")
