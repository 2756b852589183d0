"""The addon's secrets, attacked over HTTP by every role that is not a system administrator.

The seal file, the gateway credentials, the timestamp authority's settings and the keys of the
company authority must be out of reach of RPC, of /web/content and of a database dump alone
(once ``esign_master_key`` is set in Odoo's configuration file).
"""

import base64
import hashlib
import importlib.util
import json
import os
from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import SQL, config

from ..models.esign_certificate import SECRET_FIELDS as CERTIFICATE_SECRET_FIELDS
from ..models.res_company import ENCRYPTED_SETTINGS, SECRET_FIELDS
from ..services import pades, pki
from .common import EsignCase, load_french
from .sms_server import RecordingSmsServer
from .test_pades import PadesCase

MASTER_KEY = "kCq1t3t0-master-key-kept-in-odoo-conf-only"
SEAL_PASSWORD = "seal-pass-9911"
TSA_PASSWORD = "tsa-pass-5521"
PLAIN_SETTINGS = {
    "esign_ovh_application_key": "ovh-ak-plain-7431",
    "esign_ovh_application_secret": "ovh-as-plain-8842",
    "esign_ovh_consumer_key": "ovh-ck-plain-9953",
    "esign_twilio_account_sid": "AC-plain-sid-1164",
    "esign_twilio_auth_token": "twilio-token-plain-2275",
    "esign_http_url": "https://user:url-pass-3386@sms.example.com/send",
    "esign_http_headers": '{"Authorization": "Bearer header-key-4497"}',
    "esign_http_body": '{"api_key": "body-key-5508", "to": "{to}", "text": "{message}"}',
    "esign_tsa_url": "https://tsa-user:tsa-url-pass-6619@tsa.example.com/tsr",
    "esign_tsa_username": "tsa-login-7720",
}
# What must never reach anyone but a system administrator: the clear settings, their ciphertext,
# the certificates with their keys and the seal file, and the settings wizard's fields that carry secrets.
COMPANY_SECRET_FIELDS = [
    *ENCRYPTED_SETTINGS,
    *SECRET_FIELDS,
    "esign_certificate_ids",
    "esign_ovh_service_name",
    "esign_ovh_sender",
    "esign_twilio_sender",
]
SETTINGS_SECRET_FIELDS = [
    *ENCRYPTED_SETTINGS,
    "esign_tsa_password",
    "esign_seal_upload",
    "esign_seal_upload_filename",
    "esign_seal_upload_password",
]
# Every field of a certificate: the model opens to system administrators only, its keys too.
CERTIFICATE_FIELDS = [
    "company_id",
    "kind",
    "certificate_pem",
    "chain_pem",
    "subject",
    "fingerprint",
    "valid_from",
    "valid_until",
    "active",
    *CERTIFICATE_SECRET_FIELDS,
]


def master_key(value=MASTER_KEY):
    """Odoo's configuration with ``esign_master_key`` set, as read by odoo.tools.config.get."""
    return patch.dict(config.options, {"esign_master_key": value})


def provider_seal(password=SEAL_PASSWORD):
    provider = pki.new_authority("Prestataire de confiance")
    seal = pki.issue_certificate(
        provider, "Cabinet Dupont", organization="Cabinet Dupont", lifetime=timedelta(days=365)
    )
    return provider, seal, pki.pkcs12_bytes(seal, password)


@tagged("post_install", "-at_install")
class TestSecretsOverHttp(HttpCase, EsignCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(cls.env, login="esign_portal_attacker", groups="base.group_portal")
        cls.admin = cls.env.ref("base.user_admin")
        cls.provider, cls.seal, cls.p12 = provider_seal()
        settings = cls.env["res.config.settings"].create(
            {"esign_seal_upload": base64.b64encode(cls.p12), "esign_seal_upload_password": SEAL_PASSWORD}
        )
        settings.execute()
        cls.company.write(PLAIN_SETTINGS)
        cls.company._esign_set_tsa_password(TSA_PASSWORD)
        cls.company._esign_ca_certificate_pem()
        cls.roles = {
            "User": "esign_preparer",
            "Signatory": "esign_signatory",
            "Manager": "esign_manager",
            "portal": "esign_portal_attacker",
        }
        cls.clear_values = [
            *PLAIN_SETTINGS.values(),
            *(json.loads(PLAIN_SETTINGS["esign_http_headers"]).values()),
            SEAL_PASSWORD,
            TSA_PASSWORD,
            base64.b64encode(cls.p12).decode()[:40],
        ]

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        )

    def assert_refused(self, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException, msg=f"{model}.{method}{args}") as raised:
            self.call(model, method, *args, **kwargs)
        self.assertEqual(str(raised.exception), "odoo.exceptions.AccessError", f"{model}.{method}{args}")

    def assert_no_secret_in(self, text, what):
        for value in self.clear_values:
            self.assertNotIn(value, text, what)
        self.assertNotIn("v1:", text, what)

    def company_row(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT row_to_json(c)::text FROM res_company c WHERE id = %s", [self.company.id])
        return self.env.cr.fetchone()[0]

    def certificate_rows(self):
        """The company's certificate rows as the database holds them, by kind."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT row_to_json(c)::text FROM esign_certificate c WHERE company_id = %s", [self.company.id]
        )
        return {row["kind"]: row for row in (json.loads(text) for (text,) in self.env.cr.fetchall())}

    def test_seal_is_no_attachment_anyone_can_find_or_download(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM ir_attachment WHERE checksum = %s OR res_field LIKE 'esign%%'",
            [hashlib.sha1(self.p12).hexdigest()],  # noqa: S324 - the filestore's own checksum
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "the seal file is in no attachment, the upload left none")
        self.assertIn("Cabinet Dupont", self.company.esign_seal_subject)
        company_id = self.company.id
        seal_id = self.company._esign_certificates("provider_seal").id
        ca_id = self.company._esign_certificates("authority").id
        for role, login in self.roles.items():
            with self.subTest(role=role):
                self.authenticate(login, login)
                for domain in (
                    [("res_model", "=", "res.company"), ("res_field", "=", "esign_seal_pkcs12")],
                    [("res_model", "=", "res.company"), ("res_field", "!=", False)],
                    [("res_field", "like", "esign")],
                    [("res_model", "=", "res.config.settings"), ("res_field", "=", "esign_seal_upload")],
                ):
                    try:
                        found = self.call("ir.attachment", "search_read", domain, fields=["res_field", "datas"])
                    except JsonRpcException as refused:
                        self.assertEqual(str(refused), "odoo.exceptions.AccessError")
                        continue
                    self.assertFalse([row for row in found if (row["res_field"] or "").startswith("esign")], role)
                for url in (
                    f"/web/content/res.company/{company_id}/esign_seal_pkcs12",
                    f"/web/content/esign.certificate/{seal_id}/pkcs12_secret",
                    f"/web/content/esign.certificate/{seal_id}/password_secret",
                    f"/web/content/esign.certificate/{ca_id}/key_secret",
                    f"/web/content/esign.certificate/{ca_id}/certificate_pem",
                    f"/web/content/res.company/{company_id}/esign_http_headers",
                    f"/web/content/res.company/{company_id}/esign_tsa_url?download=true",
                    "/web/content/res.config.settings/1/esign_seal_upload",
                ):
                    response = self.url_open(url)
                    self.assertNotEqual(response.status_code, 200, f"{role} {url}")
                    self.assert_no_secret_in(response.text, f"{role} {url}")
                # /web/image answers a placeholder picture instead of an error: it must hold nothing else.
                for url in (
                    f"/web/image/esign.certificate/{seal_id}/pkcs12_secret",
                    f"/web/image/esign.certificate/{ca_id}/key_secret",
                ):
                    response = self.url_open(url)
                    self.assertTrue(response.headers["Content-Type"].startswith("image/"), f"{role} {url}")
                    self.assertNotIn(b"v1:", response.content, f"{role} {url}")

    def test_secret_fields_refused_to_every_role_but_system_administrators(self):
        company_id = self.company.id
        for role, login in self.roles.items():
            with self.subTest(role=role):
                self.authenticate(login, login)
                for fname in COMPANY_SECRET_FIELDS:
                    self.assert_refused("res.company", "read", [company_id], [fname])
                    self.assert_refused("res.company", "search_read", [], fields=[fname])
                    self.assert_refused("res.company", "web_read", [company_id], specification={fname: {}})
                for fname in ("esign_http_body", "esign_tsa_url"):
                    # Not stored: Odoo ignores the condition, so it cannot serve as an oracle either.
                    try:
                        found = self.call("res.company", "search_read", [(fname, "like", "key")], fields=["name"])
                    except JsonRpcException as refused:
                        self.assertEqual(str(refused), "odoo.exceptions.AccessError")
                    else:
                        self.assertEqual(found, self.call("res.company", "search_read", [], fields=["name"]))
                for fname in ("esign_tsa_url_secret", "esign_http_body_secret"):
                    self.assert_refused("res.company", "search_read", [(fname, "like", "v1:")], fields=["name"])
                    self.assert_refused("res.company", "read_group", [], [fname], [fname])
                    with self.assertRaises(JsonRpcException, msg="export_data") as raised:
                        self.call("res.company", "export_data", [company_id], [fname])
                    self.assertIn(str(raised.exception), ("odoo.exceptions.AccessError", "odoo.exceptions.UserError"))
                certificate_ids = self.company._esign_certificates(archived=True).ids
                for fname in CERTIFICATE_FIELDS:
                    self.assert_refused("esign.certificate", "read", certificate_ids, [fname])
                    self.assert_refused("esign.certificate", "search_read", [], fields=[fname])
                    self.assert_refused("esign.certificate", "web_read", certificate_ids, specification={fname: {}})
                    with self.assertRaises(JsonRpcException, msg="export_data") as raised:
                        self.call("esign.certificate", "export_data", certificate_ids, [fname])
                    self.assertIn(str(raised.exception), ("odoo.exceptions.AccessError", "odoo.exceptions.UserError"))
                for fname in CERTIFICATE_SECRET_FIELDS:
                    self.assert_refused("esign.certificate", "search_read", [(fname, "like", "v1:")], fields=["kind"])
                    self.assert_refused("esign.certificate", "read_group", [], [fname], [fname])
                self.assert_refused("esign.certificate", "search", [])
                self.assert_refused("esign.certificate", "_esign_secret", certificate_ids[:1], "key_secret")
                self.assert_refused(
                    "res.company", "web_read", [company_id], specification={"esign_certificate_ids": {"fields": {}}}
                )
                for method in ("_esign_sms_gateway_config", "_esign_setting", "_esign_seal_credential"):
                    self.assert_refused("res.company", method, [company_id])
                for leak in (
                    self.call("res.company", "fields_get"),
                    self.call("res.config.settings", "fields_get"),
                ):
                    self.assertFalse(
                        set(COMPANY_SECRET_FIELDS + SETTINGS_SECRET_FIELDS) & set(leak), f"{role} fields_get"
                    )
                    self.assert_no_secret_in(json.dumps(leak), f"{role} fields_get")
                # The settings belong to system administrators: nothing of them opens to anyone else.
                try:
                    defaults = self.call("res.config.settings", "default_get", SETTINGS_SECRET_FIELDS)
                except JsonRpcException as refused:
                    self.assertEqual(str(refused), "odoo.exceptions.AccessError")
                else:
                    self.assertFalse(set(defaults) & set(SETTINGS_SECRET_FIELDS), f"{role} default_get")
                    self.assert_no_secret_in(json.dumps(defaults), f"{role} default_get")
                self.assert_refused("res.config.settings", "create", {})
                self.assert_refused("res.config.settings", "web_save", [], {}, specification={})
                spec = {name: {} for name in ("esign_sms_gateway", *SETTINGS_SECRET_FIELDS)}
                self.assert_refused("res.config.settings", "onchange", [], {}, [], spec)
                try:
                    changed = self.call(
                        "res.config.settings",
                        "onchange",
                        [],
                        {"esign_sms_gateway": "http"},
                        ["esign_sms_gateway"],
                        spec,
                    )
                except JsonRpcException as refused:
                    self.assertEqual(str(refused), "odoo.exceptions.AccessError")
                else:
                    self.assertFalse(set(changed["value"]) & set(SETTINGS_SECRET_FIELDS), f"{role} onchange")
                    self.assert_no_secret_in(json.dumps(changed), f"{role} onchange")
                self.assert_refused("res.config.settings", "search_read", [], fields=["esign_http_headers"])
        self.company.invalidate_recordset()
        self.assertIn("Cabinet Dupont", self.company.esign_seal_subject, "nothing changed")
        self.assertEqual(self.company._esign_sms_gateway_config()["gateway"], "odoo")
        self.assertEqual(self.company.esign_http_headers, PLAIN_SETTINGS["esign_http_headers"])

    def test_system_administrator_reads_and_edits_in_clear(self):
        self.authenticate("admin", "admin")
        values = self.call(
            "res.config.settings",
            "web_save",
            [],
            {"esign_http_headers": '{"X-Key": "edited-8831"}'},
            specification={name: {} for name in ENCRYPTED_SETTINGS},
        )[0]
        for name, clear in PLAIN_SETTINGS.items():
            if name != "esign_http_headers":
                self.assertEqual(values[name], clear, name)
        self.assertIn("esign_tsa_password", self.call("res.config.settings", "fields_get"))
        settings_id = values["id"]
        self.call("res.config.settings", "execute", [settings_id])
        self.company.invalidate_recordset()
        self.assertEqual(self.company.esign_http_headers, '{"X-Key": "edited-8831"}')
        self.assertNotIn("edited-8831", self.company_row())

    def test_columns_hold_ciphertext_only(self):
        row = json.loads(self.company_row())
        for fname in SECRET_FIELDS:
            with self.subTest(field=fname):
                self.assertTrue(row[fname].startswith("v1:"), fname)
        certificates = self.certificate_rows()
        self.assertNotIn("authority_seal", certificates, "the uploaded seal seals: no CA seal yet")
        for kind, fname in (
            ("authority", "key_secret"),
            ("provider_seal", "pkcs12_secret"),
            ("provider_seal", "password_secret"),
        ):
            with self.subTest(kind=kind, field=fname):
                self.assertTrue(certificates[kind][fname].startswith("v1:"), fname)
        for certificate_row in certificates.values():
            self.assertNotIn("PRIVATE KEY", json.dumps(certificate_row))
            for value in self.clear_values:
                self.assertNotIn(value, json.dumps(certificate_row))
        for name in ENCRYPTED_SETTINGS:
            self.assertNotIn(name, row, "no plain column left")
        self.assertNotIn("esign_seal_pkcs12", row)
        self.assert_no_secret_in(json.dumps({k: v for k, v in row.items() if k not in SECRET_FIELDS}), "plain columns")
        for value in self.clear_values:
            self.assertNotIn(value, json.dumps(row))
        self.assertNotIn("PRIVATE KEY", json.dumps(row))
        self.env.cr.execute(
            "SELECT count(*) FROM res_config_settings WHERE esign_seal_upload IS NOT NULL "
            "OR esign_seal_upload_password IS NOT NULL OR esign_tsa_password IS NOT NULL"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "the settings wizard keeps no secret once saved")


@tagged("post_install", "-at_install")
class TestMasterKey(EsignCase):
    def test_master_key_is_needed_to_decrypt_what_it_encrypted(self):
        with master_key():
            token = self.company._esign_encrypt("ca", b"the CA key")
            self.assertEqual(self.company._esign_decrypt("ca", token), b"the CA key")
        with self.assertRaisesRegex(UserError, "cannot be decrypted"):
            self.company._esign_decrypt("ca", token)
        with master_key("another-master-key"), self.assertRaisesRegex(UserError, "cannot be decrypted"):
            self.company._esign_decrypt("ca", token)

    def test_secrets_of_the_database_secret_stay_readable_then_rotate(self):
        self.company.write(PLAIN_SETTINGS)
        _provider, seal, p12 = provider_seal()
        self.company._esign_install_seal(p12, SEAL_PASSWORD)
        ca_pem = self.company._esign_ca_certificate_pem()
        with master_key():
            self.company.invalidate_recordset()
            self.assertEqual(self.company.esign_http_body, PLAIN_SETTINGS["esign_http_body"], "old default readable")
            self.assertEqual(self.company._esign_seal_credential().certificate, seal.certificate)
            before = self.company._esign_certificates("authority").key_secret
            count = self.company._esign_rotate_master_key()
            self.assertEqual(count, len(PLAIN_SETTINGS) + 3, "settings, seal file, seal password, CA key")
            self.assertNotEqual(before, self.company._esign_certificates("authority").key_secret)
            # A copy of the database alone: its secret no longer opens anything.
            self.env["ir.config_parameter"].sudo().set_param("database.secret", "secret-of-a-copied-database")
            self.company.invalidate_recordset()
            self.assertEqual(self.company._esign_sms_gateway_config()["gateway"], "odoo")
            self.assertEqual(self.company._esign_setting("esign_tsa_url"), PLAIN_SETTINGS["esign_tsa_url"])
            self.assertEqual(self.company._esign_seal_credential().certificate, seal.certificate)
            self.assertEqual(self.company._esign_authority().certificate_pem, ca_pem)
        self.company.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "cannot be decrypted"):
            self.company._esign_authority()
        self.assertFalse(self.company.esign_http_url, "the settings page still opens")
        with master_key("the-next-master-key"):
            self.company._esign_rotate_master_key(MASTER_KEY)
            self.assertEqual(self.company._esign_authority().certificate_pem, ca_pem)
            self.assertEqual(self.company._esign_setting("esign_http_url"), PLAIN_SETTINGS["esign_http_url"])

    def test_unreadable_timestamp_authority_stops_signing_instead_of_dropping_the_timestamp(self):
        self.company.esign_tsa_url = "https://tsa.example.com/tsr"
        self.env["ir.config_parameter"].sudo().set_param("database.secret", "secret-of-a-copied-database")
        self.company.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "cannot be decrypted"):
            self.company._esign_timestamper()

    def test_settings_warn_without_a_master_key(self):
        admin = self.env.ref("base.user_admin")
        settings = self.env["res.config.settings"].with_user(admin).create({})
        self.assertFalse(settings.esign_master_key_configured)
        with master_key():
            self.assertTrue(self.env["res.config.settings"].with_user(admin).create({}).esign_master_key_configured)
        arch = self.env["res.config.settings"].with_user(admin).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertTrue("Set esign_master_key in Odoo's configuration file" in arch)
        load_french(self.env)
        arch = (
            self.env["res.config.settings"]
            .with_user(admin)
            .with_context(lang="fr_FR")
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertTrue("Définissez esign_master_key dans le fichier de configuration d'Odoo" in arch)


@tagged("post_install", "-at_install")
class TestGatewaysWithEncryptedSettings(EsignCase):
    def test_each_gateway_sends_with_its_decrypted_credentials(self):
        admin = self.env.ref("base.user_admin")
        otp = self.env["esign.otp"]
        with master_key(), RecordingSmsServer(status=201) as server:
            with Form(self.env["res.config.settings"].with_user(admin)) as settings:
                settings.esign_sms_gateway = "http"
                settings.esign_http_url = server.url + "/send"
                settings.esign_http_headers = '{"Content-Type": "application/json", "Authorization": "Bearer k-1"}'
                settings.esign_http_body = '{"key": "body-secret", "to": "{to}", "text": "{message}"}'
            settings.record.execute()
            otp._send_sms(self.company, "+33612345678", "Code 111111")
            self.company.write(
                {
                    "esign_sms_gateway": "twilio",
                    "esign_twilio_endpoint": server.url,
                    "esign_twilio_account_sid": "AC42",
                    "esign_twilio_auth_token": "tw-token",
                    "esign_twilio_sender": "+33700000000",
                }
            )
            otp._send_sms(self.company, "+33612345678", "Code 222222")
            self.company.write(
                {
                    "esign_sms_gateway": "ovh",
                    "esign_ovh_endpoint": server.url + "/1.0",
                    "esign_ovh_application_key": "AK",
                    "esign_ovh_application_secret": "AS",
                    "esign_ovh_consumer_key": "CK",
                    "esign_ovh_service_name": "sms-ab123-1",
                }
            )
            otp._send_sms(self.company, "+33612345678", "Code 333333")
        http, twilio, ovh = server.requests
        self.assertEqual(http["headers"]["authorization"], "Bearer k-1")
        self.assertEqual(json.loads(http["body"]), {"key": "body-secret", "to": "+33612345678", "text": "Code 111111"})
        self.assertEqual(twilio["path"], "/2010-04-01/Accounts/AC42/Messages.json")
        self.assertEqual(twilio["headers"]["authorization"], "Basic " + base64.b64encode(b"AC42:tw-token").decode())
        self.assertEqual((ovh["path"], ovh["headers"]["x-ovh-application"]), ("/1.0/sms/sms-ab123-1/jobs", "AK"))
        secrets = self.company.sudo().read(["esign_http_headers_secret", "esign_twilio_auth_token_secret"])[0]
        self.assertNotIn("k-1", secrets["esign_http_headers_secret"])
        self.assertNotIn("tw-token", secrets["esign_twilio_auth_token_secret"])

    def test_a_signer_gets_the_code_through_the_encrypted_gateway(self):
        with RecordingSmsServer() as server:
            self.company.write(
                {
                    "esign_sms_gateway": "http",
                    "esign_http_url": server.url + "/sms",
                    "esign_http_headers": '{"Content-Type": "application/json", "X-Api-Key": "k-2"}',
                }
            )
            collection = self.make_collection()
            collection.action_launch()
            client = collection.signer_ids.sorted("signing_order")[0]
            self.assertEqual(client._request_signing_code(ip_address="10.0.0.1"), {"masked": "+33 6•• •• •• 78"})
        self.assertEqual(server.requests[0]["headers"]["x-api-key"], "k-2")
        self.assertEqual(json.loads(server.requests[0]["body"])["to"], "+33612345678", "the default body")

    def test_undecryptable_gateway_is_a_failed_send_not_a_crash(self):
        self.company.write({"esign_sms_gateway": "twilio", "esign_twilio_auth_token": "tw"})
        self.env["ir.config_parameter"].sudo().set_param("database.secret", "secret-of-a-copied-database")
        collection = self.make_collection()
        collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        result = client._request_signing_code(ip_address="10.0.0.1")
        self.assertIn("could not be sent by SMS", result["error"])
        self.assertEqual(client.state, "to_sign")


@tagged("post_install", "-at_install")
class TestSealUnderMasterKey(PadesCase):
    def test_uploaded_seal_seals_with_the_master_key(self):
        provider, seal, p12 = provider_seal()
        with master_key():
            settings = self.env["res.config.settings"].create(
                {"esign_seal_upload": base64.b64encode(p12), "esign_seal_upload_password": SEAL_PASSWORD}
            )
            settings.execute()
            self.assertIn(
                pki.certificate_der(provider.certificate),
                {root.dump() for root in self.company._esign_trust_roots()},
                "verifying reads the public chain",
            )
            collection = self._collection(self.clients[:1])
            collection.action_launch()
            self._sign_all(collection)
        self.assertEqual(collection.state, "done")
        signatures = self.assert_sound_pdf(
            base64.b64decode(collection.document_ids.signed_pdf),
            [
                pades.CERTIFICATION_FIELD,
                f"esign_signer_{collection.signer_ids.id}",
                pades.SEAL_FIELD,
                pades.TIMESTAMP_FIELD,
            ],
        )
        self.assertEqual(signatures[2].signer_cert.dump(), pki.certificate_der(seal.certificate), "it seals")


def load_migration(version, name):
    """The module of migrations/<version>/<name>.py, to run it on a state the test made."""
    path = os.path.join(os.path.dirname(__file__), "..", "migrations", version, f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"esign_migration_{version.replace('.', '_')}_{name}", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


@tagged("post_install", "-at_install")
class TestSecretsMigration(EsignCase):
    def _migrate_from_18_0_1_1_0(self):
        """What an update from 18.0.1.1.0 runs: the secrets' migration, then the certificates'."""
        load_migration("18.0.1.2.0", "post-secrets").migrate(self.env.cr, "18.0.1.1.0")
        load_migration("18.0.1.4.0", "post-10-esign-certificates").migrate(self.env.cr, "18.0.1.1.0")

    def test_plain_columns_and_seal_attachment_are_encrypted_then_removed(self):
        _provider, seal, p12 = provider_seal()
        self.company._esign_install_seal(p12, SEAL_PASSWORD)
        company_sudo = self.company.sudo()
        # What 18.0.1.1.0 left: plain columns, the seal file as an attachment and its password in a
        # column of the company, an upload in the wizard.
        password_secret = self.company._esign_certificates("provider_seal").password_secret
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM esign_certificate WHERE company_id = %s", [self.company.id])
        self.env.cr.execute("ALTER TABLE res_company ADD COLUMN esign_seal_password_secret varchar")
        self.env.cr.execute(
            "UPDATE res_company SET esign_seal_password_secret = %s WHERE id = %s", [password_secret, self.company.id]
        )
        company_sudo.write({f"{name}_secret": False for name in ENCRYPTED_SETTINGS})
        self.env.flush_all()
        self.env.invalidate_all()
        for name, clear in PLAIN_SETTINGS.items():
            column = SQL.identifier(name)
            self.env.cr.execute(SQL("ALTER TABLE res_company ADD COLUMN %s text", column))
            self.env.cr.execute(SQL("UPDATE res_company SET %s = %s WHERE id = %s", column, clear, self.company.id))
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": "seal",
                    "res_model": "res.company",
                    "res_id": self.company.id,
                    "res_field": "esign_seal_pkcs12",
                    "raw": p12,
                },
                {
                    "name": "upload",
                    "res_model": "res.config.settings",
                    "res_id": 1,
                    "res_field": "esign_seal_upload",
                    "raw": p12,
                },
            ]
        )
        self._migrate_from_18_0_1_1_0()
        self.env.invalidate_all()
        self.assertFalse(attachments.exists())
        for name, clear in PLAIN_SETTINGS.items():
            self.assertEqual(self.company._esign_setting(name), clear, name)
            self.assertTrue(company_sudo[f"{name}_secret"].startswith("v1:"))
        self.env.cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'res_company' AND column_name = ANY(%s)",
            [[*PLAIN_SETTINGS, "esign_seal_pkcs12_secret", "esign_seal_password_secret", "esign_seal_chain"]],
        )
        self.assertFalse(self.env.cr.fetchall(), "the plain columns are dropped")
        self.assertEqual(self.company._esign_seal_credential().certificate, seal.certificate)
        self.assertTrue(self.company._esign_seal_chain())
        self.assertIn("Cabinet Dupont", self.company.esign_seal_subject)
        self._migrate_from_18_0_1_1_0()  # twice: nothing to do, nothing broken
        self.assertEqual(self.company._esign_seal_credential().certificate, seal.certificate)
        self.assertEqual(len(self.company._esign_certificates("provider_seal", archived=True)), 1)
