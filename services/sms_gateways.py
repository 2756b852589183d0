"""SMS gateways reached over HTTP with requests: OVHcloud, Twilio and a generic HTTP API.

Plain Python: the caller passes the settings; every failure becomes ``SmsGatewayError``.
Odoo's own ``sms`` module is driven from the model (it needs the ORM).
"""

import hashlib
import json
import time
from urllib.parse import quote

import requests

DEFAULT_TIMEOUT = 10
OVH_DEFAULT_ENDPOINT = "https://eu.api.ovh.com/1.0"
TWILIO_DEFAULT_ENDPOINT = "https://api.twilio.com"


class SmsGatewayError(Exception):
    """The gateway did not accept the message; ``detail`` is for the logs, not the signer."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


def _send(method, url, timeout, **kwargs):
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as error:
        raise SmsGatewayError(f"timeout after {timeout}s: {url}") from error
    except requests.RequestException as error:
        raise SmsGatewayError(f"connection failed: {error}") from error
    if response.status_code >= 400:
        raise SmsGatewayError(f"HTTP {response.status_code}: {response.text[:300]}")
    return response


class OvhGateway:
    """OVHcloud SMS API: POST /sms/{service}/jobs, signed with the application secret."""

    def __init__(
        self,
        application_key,
        application_secret,
        consumer_key,
        service_name,
        sender=None,
        endpoint=None,
        timeout=DEFAULT_TIMEOUT,
    ):
        self.application_key = application_key
        self.application_secret = application_secret
        self.consumer_key = consumer_key
        self.service_name = service_name
        self.sender = sender
        self.endpoint = (endpoint or OVH_DEFAULT_ENDPOINT).rstrip("/")
        self.timeout = timeout

    def send(self, number, message):
        url = f"{self.endpoint}/sms/{self.service_name}/jobs"
        payload = {"message": message, "receivers": [number], "noStopClause": True, "priority": "high"}
        if self.sender:
            payload["sender"] = self.sender
        else:
            payload["senderForResponse"] = True
        body = json.dumps(payload)
        timestamp = str(int(time.time()))
        to_sign = "+".join([self.application_secret, self.consumer_key, "POST", url, body, timestamp])
        headers = {
            "Content-Type": "application/json",
            "X-Ovh-Application": self.application_key,
            "X-Ovh-Consumer": self.consumer_key,
            "X-Ovh-Timestamp": timestamp,
            "X-Ovh-Signature": "$1$" + hashlib.sha1(to_sign.encode()).hexdigest(),  # noqa: S324 - OVH's scheme
        }
        _send("POST", url, self.timeout, data=body, headers=headers)


class TwilioGateway:
    """Twilio Messages API: form POST with HTTP basic authentication."""

    def __init__(self, account_sid, auth_token, sender, endpoint=None, timeout=DEFAULT_TIMEOUT):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.endpoint = (endpoint or TWILIO_DEFAULT_ENDPOINT).rstrip("/")
        self.timeout = timeout

    def send(self, number, message):
        url = f"{self.endpoint}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        data = {"To": number, "From": self.sender, "Body": message}
        _send("POST", url, self.timeout, data=data, auth=(self.account_sid, self.auth_token))


class HttpGateway:
    """Any HTTP API: URL, method, headers (JSON object) and a body template with {to} and {message}."""

    def __init__(self, url, method="POST", headers=None, body_template=None, timeout=DEFAULT_TIMEOUT):
        self.url = url
        self.method = (method or "POST").upper()
        self.headers = headers or {}
        self.body_template = body_template or ""
        self.timeout = timeout

    @staticmethod
    def parse_headers(text):
        """Headers written as a JSON object in the settings; raise ValueError when they are not."""
        if not (text or "").strip():
            return {}
        headers = json.loads(text)
        if not isinstance(headers, dict):
            raise ValueError("headers must be a JSON object")
        return {str(key): str(value) for key, value in headers.items()}

    def _render(self, number, message):
        is_json = any(key.lower() == "content-type" and "json" in value.lower() for key, value in self.headers.items())

        def escape(value):
            return json.dumps(value)[1:-1] if is_json else value

        return self.body_template.replace("{to}", escape(number)).replace("{message}", escape(message))

    def send(self, number, message):
        if not self.url:
            raise SmsGatewayError("no URL configured")
        body = self._render(number, message)
        if self.method == "GET":
            url = self.url.replace("{to}", quote(number)).replace("{message}", quote(message))
            _send("GET", url, self.timeout, headers=self.headers)
        else:
            _send(self.method, self.url, self.timeout, data=body.encode(), headers=self.headers)
