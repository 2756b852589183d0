import logging

import pytz
from babel.dates import format_date
from cryptography import x509
from cryptography.exceptions import InvalidTag

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config
from odoo.tools.misc import babel_locale_parse

from ..services import pades, pki, timestamp_client
from .esign_certificate import fingerprint

_logger = logging.getLogger(__name__)

DEFAULT_HTTP_BODY = '{"to": "{to}", "text": "{message}"}'
# Settings that hold credentials (API keys, tokens, URLs or headers that may embed them): shown in
# clear to system administrators only, kept encrypted in the ``<name>_secret`` column.
ENCRYPTED_SETTINGS = (
    "esign_ovh_application_key",
    "esign_ovh_application_secret",
    "esign_ovh_consumer_key",
    "esign_twilio_account_sid",
    "esign_twilio_auth_token",
    "esign_http_url",
    "esign_http_headers",
    "esign_http_body",
    "esign_tsa_url",
    "esign_tsa_username",
)
# Every encrypted column of a company and the purpose its key is derived for (the keys of its
# certificates are in esign.certificate: SECRET_PURPOSES there).
SECRET_FIELDS = {
    "esign_tsa_password_secret": "tsa",
    **{f"{name}_secret": f"setting:{name}" for name in ENCRYPTED_SETTINGS},
}


def _encrypted(name):
    """Field options of the encrypted setting ``name``: read decrypts, write encrypts.

    Each setting has its own compute and inverse: Odoo protects every field of a shared compute
    while one is written, and the inverse would then read the others as empty and erase them.
    """

    @api.depends(f"{name}_secret")
    def compute(companies):
        for company in companies:
            company[name] = company._esign_setting(name, strict=False)

    def inverse(companies):
        for company in companies:
            clear = company[name] or False
            if clear != company._esign_setting(name, strict=False):
                company.sudo()[f"{name}_secret"] = (
                    company._esign_encrypt(f"setting:{name}", clear.encode()) if clear else False
                )

    return {"compute": compute, "inverse": inverse, "groups": "base.group_system"}


class ResCompany(models.Model):
    _inherit = "res.company"

    esign_enabled = fields.Boolean(string="Electronic signature", default=True)
    esign_expiry_days = fields.Integer(
        string="Collection lifetime (days)",
        default=15,
        help="A collection still in progress this many days after its launch expires.",
    )
    esign_extension_days = fields.Integer(
        string="Reminder extension (days)",
        default=15,
        help="Each reminder pushes the deadline this many days further.",
    )
    esign_retention_days = fields.Integer(
        string="Retention (days)",
        default=30,
        help="Documents of an ended collection are purged this many days after it ended.",
    )
    esign_expiring_soon_days = fields.Integer(
        string="Expiring soon (days)",
        default=3,
        help="A collection whose deadline is this close shows as expiring soon.",
    )
    esign_purge_soon_days = fields.Integer(
        string="Purged soon (days)",
        default=7,
        help="A collection whose purge date is this close shows as purged soon.",
    )
    esign_auto_reminder_days = fields.Integer(
        string="Automatic reminder every (days)",
        default=0,
        help="Remind the signers whose turn it is every this many days; 0 turns automatic reminders off. "
        "Automatic reminders do not push the deadline.",
    )
    esign_max_pdf_size_mb = fields.Integer(string="Maximum PDF size (MB)", default=20)
    # Engagement letters: the firm's legal details printed on the letter, and its sending rules.
    company_legal_form = fields.Char(string="Legal form", help="e.g. SAS d'expertise comptable")
    company_rcs = fields.Char(string="RCS", help="Trade and companies register number and city")
    company_accounting_order = fields.Char(
        string="Regional Order",
        help="Regional Order of chartered accountants the firm is registered with, e.g. Conseil régional de Paris",
    )
    engagement_signatory_id = fields.Many2one(
        "res.users",
        string="Firm signatory",
        help="Signs the engagement letters for the firm, after the client.",
    )
    engagement_aml_required = fields.Boolean(
        string="Anti-money-laundering gate",
        help="No engagement letter is sent until the client's identity check date and risk level are recorded.",
    )
    esign_otp_validity_minutes = fields.Integer(
        string="Code validity (minutes)", default=30, help="How long a one-time code sent by SMS can be used."
    )
    esign_otp_max_attempts = fields.Integer(
        string="Wrong tries per code", default=5, help="After this many wrong entries the code is locked."
    )
    esign_otp_resend_seconds = fields.Integer(
        string="Wait before a new code (seconds)", default=60, help="A signer waits this long between two codes."
    )
    esign_otp_hourly_limit = fields.Integer(
        string="Codes per hour", default=5, help="At most this many codes per signer, and per IP address, per hour."
    )
    esign_otp_max_locked = fields.Integer(
        string="Locked codes before blocking",
        default=3,
        help="A signer whose wrong tries reach this many codes' worth (tries per code times this number), "
        "whatever codes they were spread over, is blocked and the preparer is warned; a parapheur "
        "signatory is blocked for 24 hours.",
    )
    esign_terms_url = fields.Char(string="Terms of use (link)")
    esign_terms_text = fields.Text(
        string="Terms of use (text)",
        translate=True,
        help="Left empty, the signer reads: I accept the terms of use of the electronic signature service.",
    )
    esign_privacy_url = fields.Char(string="Personal data policy (link)")
    esign_privacy_text = fields.Text(
        string="Personal data policy (text)",
        translate=True,
        help="Left empty, the signer reads a short statement of the personal data kept as proof.",
    )

    def _esign_terms_texts(self):
        """The two statements a signer ticks, in the current language, with the company's wording if set."""
        self.ensure_one()
        return (
            self.esign_terms_text or self.env._("I accept the terms of use of the electronic signature service."),
            self.esign_privacy_text
            or self.env._(
                "I have read the personal data policy: my name, e-mail, mobile number and IP address are kept "
                "as proof of my signature."
            ),
        )

    esign_sms_gateway = fields.Selection(
        [
            ("odoo", "Odoo SMS"),
            ("ovh", "OVHcloud SMS"),
            ("twilio", "Twilio"),
            ("http", "Generic HTTP API"),
            ("demo", "Demonstration: no SMS, the text goes to the server log"),
        ],
        string="SMS gateway",
        default="odoo",
        required=True,
        help="The demonstration gateway sends nothing: it writes each text, code included, to the server's "
        "log. It exists only in databases with demonstration data.",
    )
    esign_sms_timeout = fields.Integer(string="SMS gateway timeout (seconds)", default=10)
    esign_ovh_endpoint = fields.Char(string="OVHcloud API endpoint", default="https://eu.api.ovh.com/1.0")
    esign_ovh_application_key = fields.Char(
        string="OVHcloud application key", **_encrypted("esign_ovh_application_key")
    )
    esign_ovh_application_secret = fields.Char(
        string="OVHcloud application secret", **_encrypted("esign_ovh_application_secret")
    )
    esign_ovh_consumer_key = fields.Char(string="OVHcloud consumer key", **_encrypted("esign_ovh_consumer_key"))
    esign_ovh_service_name = fields.Char(string="OVHcloud SMS account", groups="base.group_system")
    esign_ovh_sender = fields.Char(string="OVHcloud sender", groups="base.group_system")
    esign_twilio_endpoint = fields.Char(string="Twilio API endpoint", default="https://api.twilio.com")
    esign_twilio_account_sid = fields.Char(string="Twilio account SID", **_encrypted("esign_twilio_account_sid"))
    esign_twilio_auth_token = fields.Char(string="Twilio auth token", **_encrypted("esign_twilio_auth_token"))
    esign_twilio_sender = fields.Char(string="Twilio sender number", groups="base.group_system")
    esign_http_url = fields.Char(string="SMS API URL", **_encrypted("esign_http_url"))
    esign_http_method = fields.Selection(
        [("POST", "POST"), ("PUT", "PUT"), ("GET", "GET")], string="SMS API method", default="POST"
    )
    esign_http_headers = fields.Text(
        string="SMS API headers",
        help='A JSON object, for example {"Content-Type": "application/json", "Authorization": "Bearer ..."}',
        **_encrypted("esign_http_headers"),
    )
    esign_http_body = fields.Text(
        string="SMS API body",
        help="The request body; {to} is replaced by the number (E.164) and {message} by the text.",
        **_encrypted("esign_http_body"),
    )

    # Timestamp authority (RFC 3161)
    esign_tsa_url = fields.Char(
        string="Timestamp authority URL",
        help="RFC 3161 timestamp service; without it, signatures carry no timestamp (PAdES B-B).",
        **_encrypted("esign_tsa_url"),
    )
    esign_tsa_username = fields.Char(string="Timestamp authority user", **_encrypted("esign_tsa_username"))
    esign_tsa_password_secret = fields.Char(copy=False, groups="base.group_system")

    # What the clear settings above hold, encrypted (see ENCRYPTED_SETTINGS).
    esign_ovh_application_key_secret = fields.Text(copy=False, groups="base.group_system")
    esign_ovh_application_secret_secret = fields.Text(copy=False, groups="base.group_system")
    esign_ovh_consumer_key_secret = fields.Text(copy=False, groups="base.group_system")
    esign_twilio_account_sid_secret = fields.Text(copy=False, groups="base.group_system")
    esign_twilio_auth_token_secret = fields.Text(copy=False, groups="base.group_system")
    esign_http_url_secret = fields.Text(copy=False, groups="base.group_system")
    esign_http_headers_secret = fields.Text(copy=False, groups="base.group_system")
    esign_http_body_secret = fields.Text(copy=False, groups="base.group_system")
    esign_tsa_url_secret = fields.Text(copy=False, groups="base.group_system")
    esign_tsa_username_secret = fields.Text(copy=False, groups="base.group_system")

    # The company's authority, seals and timestamp authorities' certificates, with their keys (encrypted):
    # esign.certificate rows, written by the methods below only. What users see of them is computed here.
    esign_certificate_ids = fields.One2many(
        "esign.certificate", "company_id", string="Signature certificates", groups="base.group_system"
    )
    esign_seal_subject = fields.Char(string="Seal certificate", compute="_compute_esign_certificate_details")
    esign_seal_expiry = fields.Datetime(
        string="Seal certificate expires on", compute="_compute_esign_certificate_details"
    )
    esign_tsa_root_subject = fields.Char(
        string="Timestamp authority root certificate", compute="_compute_esign_certificate_details"
    )
    esign_archive_renewal_days = fields.Integer(
        string="Renew the archive timestamp (days before expiry)",
        default=90,
        help="A sealed document gets a new document timestamp, over fresh validation data, this many days before "
        "the certificate of its last timestamp expires (PAdES B-LTA renewal); 0 turns the renewal off.",
    )

    @api.constrains(
        "esign_expiry_days",
        "esign_extension_days",
        "esign_retention_days",
        "esign_expiring_soon_days",
        "esign_purge_soon_days",
        "esign_auto_reminder_days",
        "esign_max_pdf_size_mb",
        "esign_otp_validity_minutes",
        "esign_otp_max_attempts",
        "esign_otp_hourly_limit",
        "esign_otp_max_locked",
        "esign_sms_timeout",
        "esign_archive_renewal_days",
    )
    def _check_esign_durations(self):
        for company in self:
            if (
                min(
                    company.esign_expiry_days,
                    company.esign_extension_days,
                    company.esign_retention_days,
                    company.esign_max_pdf_size_mb,
                )
                < 1
            ):
                raise ValidationError(
                    self.env._("Lifetime, extension, retention and maximum PDF size must be at least 1.")
                )
            if (
                min(
                    company.esign_expiring_soon_days,
                    company.esign_purge_soon_days,
                    company.esign_auto_reminder_days,
                    company.esign_archive_renewal_days,
                )
                < 0
            ):
                raise ValidationError(self.env._("Thresholds and reminder intervals cannot be negative."))
            if (
                min(
                    company.esign_otp_validity_minutes,
                    company.esign_otp_max_attempts,
                    company.esign_otp_hourly_limit,
                    company.esign_otp_max_locked,
                    company.esign_sms_timeout,
                )
                < 1
                or company.esign_otp_resend_seconds < 0
            ):
                raise ValidationError(
                    self.env._("Code validity, tries, hourly limit, locked codes and SMS timeout must be at least 1.")
                )

    # ------------------------------------------------------------------
    # Secrets at rest
    # ------------------------------------------------------------------

    @api.model
    def _esign_master_key_configured(self):
        return bool(config.get("esign_master_key"))

    def _esign_key_secrets(self):
        """The secrets keys are derived from, the one new secrets are encrypted with first.

        ``esign_master_key`` of Odoo's configuration file, when set, lives outside the database: a
        dump alone then reveals nothing. The database secret stays a fallback so that what was
        encrypted before the master key was set can still be read (and is re-encrypted on write).
        """
        database_secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return [secret for secret in (config.get("esign_master_key"), database_secret) if secret]

    def _esign_secret_key(self, purpose, secret=None):
        """A key for ``purpose`` of this company, derived from ``secret`` or the current one (never stored)."""
        self.ensure_one()
        return pki.derive_key(secret or self._esign_key_secrets()[0], f"{purpose}:{self.id}")

    def _esign_encrypt(self, purpose, data):
        return pki.encrypt_secret(data, self._esign_secret_key(purpose))

    def _esign_decrypt(self, purpose, token, extra_secrets=()):
        """The clear bytes of a secret of this company; UserError when no known key opens it."""
        for secret in [*extra_secrets, *self._esign_key_secrets()]:
            try:
                return pki.decrypt_secret(token, self._esign_secret_key(purpose, secret))
            except (InvalidTag, ValueError):
                continue
        raise UserError(
            self.env._(
                "A secret of the electronic signature settings of %s cannot be decrypted: the database "
                "secret or the esign_master_key of the configuration file changed (copied database?). "
                "An administrator must renew the signature authority and enter the passwords again in "
                "the settings.",
                self.name,
            )
        )

    def _esign_rotate_master_key(self, old_secret=None):
        """Re-encrypt every secret of these companies with the current key; returns how many.

        Run it after setting or changing ``esign_master_key``: ``old_secret`` is the previous master
        key (the database secret is always tried). All or nothing: a secret no key opens raises.
        """
        count = 0
        for company in self:
            company_sudo = company.sudo()
            values = {}
            for fname, purpose in SECRET_FIELDS.items():
                if company_sudo[fname]:
                    clear = company._esign_decrypt(
                        purpose, company_sudo[fname], extra_secrets=[old_secret] if old_secret else ()
                    )
                    values[fname] = company._esign_encrypt(purpose, clear)
            company_sudo.write(values)
            count += len(values)
            count += company._esign_certificates(archived=True)._esign_rotate_secrets(old_secret)
        return count

    def _esign_setting(self, name, strict=True):
        """The clear value of an encrypted setting; ``strict`` raises UserError when it cannot be read."""
        self.ensure_one()
        token = self.sudo()[f"{name}_secret"]
        if not token:
            return DEFAULT_HTTP_BODY if name == "esign_http_body" else False
        try:
            return self._esign_decrypt(f"setting:{name}", token).decode()
        except UserError:
            if strict:
                raise
            _logger.warning("The setting %s of company %s cannot be decrypted", name, self.id)
            return False

    @api.constrains("esign_sms_gateway")
    def _check_demo_sms_gateway(self):
        """Codes written to a log are no proof of anyone's phone: never outside a demonstration database."""
        if "demo" in self.mapped("esign_sms_gateway") and not self.env["ir.module.module"].sudo().search_count(
            [("name", "=", "base"), ("demo", "=", True)], limit=1
        ):
            raise ValidationError(
                self.env._("The demonstration SMS gateway exists only in databases with demonstration data.")
            )

    def _esign_sms_gateway_config(self):
        """The company's SMS gateway and its settings in clear, for sending a text only.

        Raises UserError when a credential cannot be decrypted.
        """
        self.ensure_one()
        company = self.sudo()
        gateway = company.esign_sms_gateway
        result = {"gateway": gateway, "timeout": company.esign_sms_timeout}
        if gateway == "ovh":
            result.update(
                application_key=self._esign_setting("esign_ovh_application_key"),
                application_secret=self._esign_setting("esign_ovh_application_secret"),
                consumer_key=self._esign_setting("esign_ovh_consumer_key"),
                service_name=company.esign_ovh_service_name,
                sender=company.esign_ovh_sender,
                endpoint=company.esign_ovh_endpoint,
            )
        elif gateway == "twilio":
            result.update(
                account_sid=self._esign_setting("esign_twilio_account_sid"),
                auth_token=self._esign_setting("esign_twilio_auth_token"),
                sender=company.esign_twilio_sender,
                endpoint=company.esign_twilio_endpoint,
            )
        elif gateway == "http":
            result.update(
                url=self._esign_setting("esign_http_url"),
                method=company.esign_http_method,
                headers=self._esign_setting("esign_http_headers"),
                body=self._esign_setting("esign_http_body"),
            )
        return result

    # ------------------------------------------------------------------
    # The firm's language, time zone and dates
    # ------------------------------------------------------------------

    def _esign_lang(self):
        """The firm's language (its partner's, when installed): that of its proof and of what no one
        in particular reads (evidence report, journal, certificates), whoever runs the process."""
        self.ensure_one()
        installed = dict(self.env["res.lang"].get_installed())
        french = "fr_FR" if self.sudo().country_id.code in (False, "FR") else None
        for lang in (self.sudo().partner_id.lang, french, self.env.lang, "en_US"):
            if lang in installed:
                return lang
        return next(iter(installed), "en_US")

    def _esign_env(self):
        """An environment speaking the firm's language, for the words of its proof journal."""
        self.ensure_one()
        return self.with_context(lang=self._esign_lang()).env

    def _esign_tz(self):
        """The firm's time zone: its partner's, else its country's first one, else Paris."""
        self.ensure_one()
        company = self.sudo()
        if company.partner_id.tz:
            return company.partner_id.tz
        zones = pytz.country_timezones.get(company.country_id.code or "FR") or ["Europe/Paris"]
        return zones[0]

    def _esign_local_moment(self, value, lang, long_date=False):
        """(date, time) of the UTC moment ``value`` in the firm's time zone: the date in ``lang``, in
        its short format ("02/12/2026", as stamps write it) or spelled out (``long_date``: "2 décembre
        2026"), the time as hours and minutes (no seconds, no offset)."""
        self.ensure_one()
        moment = fields.Datetime.to_datetime(value)
        if moment.tzinfo is None:
            moment = pytz.utc.localize(moment)
        local = moment.astimezone(pytz.timezone(self._esign_tz()))
        if long_date:
            day = format_date(local.date(), format="long", locale=babel_locale_parse(lang))
        else:
            day = local.strftime(self.env["res.lang"]._get_data(code=lang).date_format or "%d/%m/%Y")
        return day, local.strftime("%H:%M")

    def _esign_format_datetime(self, value, lang=None, date_only=False):
        """A moment as a reader reads it in a text: in the firm's time zone, in ``lang`` (the
        reader's, else the current one), without seconds nor offset ("2 décembre 2026 à 10:42")."""
        self.ensure_one()
        if not value:
            return ""
        lang = lang or self.env.lang or "en_US"
        day, time = self._esign_local_moment(value, lang, long_date=True)
        if date_only:
            return day
        return self.with_context(lang=lang).env._("%(date)s at %(time)s", date=day, time=time)

    # ------------------------------------------------------------------
    # Certificates (esign.certificate)
    # ------------------------------------------------------------------

    @api.depends(
        "esign_certificate_ids.kind",
        "esign_certificate_ids.active",
        "esign_certificate_ids.subject",
        "esign_certificate_ids.valid_until",
    )
    def _compute_esign_certificate_details(self):
        """What users see of the uploaded seal and timestamp authority root, not the certificates."""
        for company in self:
            seal = company._esign_certificates("provider_seal")[:1]
            root = company._esign_certificates("tsa_root")[:1]
            company.esign_seal_subject = seal.subject
            company.esign_seal_expiry = seal.valid_until
            company.esign_tsa_root_subject = root.subject

    def _esign_certificates(self, kind=None, archived=False):
        """The company's certificates (sudo) of ``kind`` (every kind without one), the archived ones too
        with ``archived``: current ones first."""
        self.ensure_one()
        domain = [("company_id", "=", self.id)] + ([("kind", "=", kind)] if kind else [])
        return self.env["esign.certificate"].sudo().with_context(active_test=not archived).search(domain)

    def _esign_lock(self):
        """Serialize the creation of keys of a company between concurrent workers.

        The row is updated, not only locked: a worker that waited for the lock then fails to update
        it (serialization failure, its request is retried) instead of adding a second authority it
        could not see in its snapshot.
        """
        self.env.cr.execute("UPDATE res_company SET write_date = write_date WHERE id = ANY(%s)", [self.ids])

    # ------------------------------------------------------------------
    # Certificate authority
    # ------------------------------------------------------------------

    def _esign_authority(self):
        """The company CA as a pki.Credential, created the first time it is needed."""
        self.ensure_one()
        record = self._esign_certificates("authority")[:1]
        if not record:
            authority = pki.new_authority(
                self._esign_env()._("Electronic signature authority of %s", self.name),
                organization=self.name,
                country=self.country_id.code,
            )
            self.env["esign.certificate"]._esign_add(
                self, "authority", authority.certificate, key=pki.private_key_der(authority.key)
            )
            _logger.info("Electronic signature authority created for company %s", self.id)
            return authority
        return pki.Credential(
            key=pki.load_private_key_der(record._esign_secret("key_secret")), certificate=record._esign_x509()
        )

    def _esign_renew_authority(self):
        """Replace the company CA (and its seal) by a new one on next need; the old one stays trusted."""
        for company in self:
            (company._esign_certificates("authority") | company._esign_certificates("authority_seal"))._esign_retire()
            _logger.info("Electronic signature authority of company %s renewed", company.id)

    def _esign_ca_certificate_pem(self):
        """The PEM of the company CA (created if needed): what readers must trust."""
        self.ensure_one()
        if not self._esign_certificates("authority"):
            self._esign_authority()
        return self._esign_certificates("authority")[:1].certificate_pem

    def _esign_ca_certificate_der(self):
        return pki.certificate_der(pki.load_certificate_pem(self._esign_ca_certificate_pem()))

    def _esign_ca_fingerprint(self):
        """The SHA-256 of the current company CA, to compare with what a PDF reader shows; False before it exists."""
        self.ensure_one()
        return self._esign_certificates("authority")[:1].fingerprint or False

    def _esign_crl_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/esign/ca/{self.id}.crl"

    def _esign_crl(self):
        """A fresh revocation list of the company CA (DER); the CA revokes nothing it issued."""
        self.ensure_one()
        return pki.make_crl(self._esign_authority())

    def _esign_issue_signer_credential(self, name, email):
        """A one-shot key and certificate for one signer, valid a short time; the caller drops the key."""
        self.ensure_one()
        return pki.issue_certificate(self._esign_authority(), name, email=email, crl_url=self._esign_crl_url())

    # ------------------------------------------------------------------
    # Seal
    # ------------------------------------------------------------------

    def _esign_seal_credential(self):
        """The seal key: the firm's uploaded certificate, else one issued by the company CA."""
        self.ensure_one()
        uploaded = self._esign_certificates("provider_seal")[:1]
        if uploaded:
            try:
                password = uploaded._esign_secret("password_secret").decode()
                return pki.load_seal_pkcs12(uploaded._esign_secret("pkcs12_secret"), password)
            except (pki.SealRejected, UserError) as rejection:
                # An expired upload must not block the clients' signatures: the company CA seals instead.
                _logger.warning(
                    "Seal certificate of company %s unusable (%s): the company CA seals instead",
                    self.id,
                    getattr(rejection, "reason", "password"),
                )
        authority = self._esign_authority()
        current = self._esign_certificates("authority_seal")[:1]
        if current:
            certificate = current._esign_x509()
            if certificate.not_valid_after_utc > pki.utcnow() + pki.CLOCK_SKEW:
                key = pki.load_private_key_der(current._esign_secret("key_secret"))
                return pki.Credential(key=key, certificate=certificate, chain=(authority.certificate,))
        seal = pki.issue_certificate(
            authority,
            self.name,
            email=self.email or None,
            organization=self.name,
            country=self.country_id.code,
            lifetime=pki.SEAL_LIFETIME,
            crl_url=self._esign_crl_url(),
        )
        self.env["esign.certificate"]._esign_add(
            self, "authority_seal", seal.certificate, key=pki.private_key_der(seal.key)
        )
        return seal

    def _esign_seal_rejection_message(self, rejection):
        messages = {
            "not_pkcs12": self.env._("The file is not a PKCS#12 certificate (.p12 or .pfx file)."),
            "wrong_password": self.env._("The password does not open this certificate file."),
            "incomplete": self.env._("The file must hold both the certificate and its private key."),
            "key_usage": self.env._("This certificate may not be used to sign documents (key usage)."),
            "expired": self.env._(
                "This certificate expired on %s.", rejection.detail and rejection.detail.strftime("%Y-%m-%d")
            ),
            "not_yet_valid": self.env._(
                "This certificate is valid only from %s.", rejection.detail and rejection.detail.strftime("%Y-%m-%d")
            ),
        }
        return self.env._("The seal certificate was refused: %s", messages[rejection.reason])

    def _esign_install_seal(self, data, password):
        """Check and keep the firm's PKCS#12 seal and its password (encrypted); UserError says what is wrong.

        The previous upload is archived, its file and password forgotten.
        """
        self.ensure_one()
        try:
            credential = pki.load_seal_pkcs12(data, password)
        except pki.SealRejected as rejection:
            raise UserError(self._esign_seal_rejection_message(rejection)) from rejection
        self.env["esign.certificate"]._esign_add(
            self,
            "provider_seal",
            credential.certificate,
            chain=pki.seal_chain(credential),
            pkcs12=data,
            password=(password or "").encode(),
        )
        return credential

    def _esign_remove_seal(self):
        for company in self:
            company._esign_certificates("provider_seal")._esign_retire()

    def _esign_seal_chain(self):
        """The certificates of the uploaded seal's chain (or the seal itself without one), else nothing.

        Read from the public copy made at upload: verifying a signature never decrypts the seal's key.
        """
        self.ensure_one()
        return self._esign_certificates("provider_seal")[:1]._esign_chain()

    def _esign_trust_roots(self):
        """Certificates a verifier of this company's signatures trusts (its CAs, current and replaced,
        its seal's chain).

        A company whose authority does not exist yet has signed nothing: nothing is created here.
        """
        self.ensure_one()
        roots = [pki.to_asn1(cert) for cert in self._esign_certificates("authority", archived=True)._esign_x509s()]
        try:
            roots += [pki.to_asn1(cert) for cert in self._esign_seal_chain()]
        except (ValueError, UserError):
            _logger.warning("The seal certificate of company %s cannot be read", self.id)
        return roots

    def _esign_verification_roots(self):
        """What the verifier, the seal and the evidence report trust: the company's roots and those of
        the timestamp authorities it configured (an outside validator given the same roots agrees)."""
        self.ensure_one()
        return self._esign_trust_roots() + self._esign_tsa_anchors()

    # ------------------------------------------------------------------
    # Timestamp authority's chain
    # ------------------------------------------------------------------

    def _esign_tsa_certificates(self):
        """Every certificate the configured timestamp authorities sent, and the uploaded root (asn1crypto)."""
        self.ensure_one()
        records = self._esign_certificates("tsa") | self._esign_certificates("tsa_root")
        return [pki.to_asn1(cert) for cert in records._esign_x509s()]

    def _esign_tsa_anchors(self):
        """The roots of the timestamp authorities' chains: the self-signed certificates they sent, the
        uploaded root, else the top of a chain sent without its root (what the firm chose to trust)."""
        self.ensure_one()
        certificates = self._esign_tsa_certificates()
        subjects = {cert.subject.dump() for cert in certificates}
        return [
            cert for cert in certificates if cert.self_signed in ("yes", "maybe") or cert.issuer.dump() not in subjects
        ]

    def _esign_learn_tsa_chain(self, certificates):
        """Keep the certificates the timestamp authority sent (asn1crypto) with those already known."""
        self.ensure_one()
        known = {cert.dump() for cert in self._esign_tsa_certificates()}
        for cert in certificates:
            if cert.dump() not in known:
                known.add(cert.dump())
                self.env["esign.certificate"]._esign_add(self, "tsa", x509.load_der_x509_certificate(cert.dump()))

    def _esign_install_tsa_root(self, data):
        """Keep an uploaded root certificate of the timestamp authority (PEM or DER); UserError if it is none."""
        self.ensure_one()
        try:
            certificate = (
                x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
            )
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        except (ValueError, x509.ExtensionNotFound) as exc:
            raise UserError(
                self.env._("The timestamp authority root must be a certificate of an authority (PEM or DER file).")
            ) from exc
        if not constraints.ca:
            raise UserError(
                self.env._("This certificate is not an authority's: upload the root of the timestamp authority.")
            )
        if certificate.not_valid_after_utc <= pki.utcnow():
            raise UserError(
                self.env._("This certificate expired on %s.", certificate.not_valid_after_utc.strftime("%Y-%m-%d"))
            )
        self.env["esign.certificate"]._esign_add(self, "tsa_root", certificate)

    def _esign_remove_tsa_root(self):
        for company in self:
            company._esign_certificates("tsa_root")._esign_retire()

    # ------------------------------------------------------------------
    # Timestamps
    # ------------------------------------------------------------------

    def _esign_set_tsa_password(self, password):
        self.ensure_one()
        self.sudo().esign_tsa_password_secret = self._esign_encrypt("tsa", password.encode()) if password else False

    def _esign_timestamper(self, fresh=False):
        """pyHanko's HTTP timestamper for the configured authority, or None without a URL."""
        self.ensure_one()
        company_sudo = self.sudo()
        url = self._esign_setting("esign_tsa_url")
        if not url:
            return None
        password = None
        if company_sudo.esign_tsa_password_secret:
            password = self._esign_decrypt("tsa", company_sudo.esign_tsa_password_secret).decode()
        return timestamp_client.make_timestamper(
            url,
            username=self._esign_setting("esign_tsa_username") or None,
            password=password,
            fresh=fresh,
        )

    def _esign_sealing_tools(self):
        """The seal's credential, a fresh timestamper and the long-term settings (pades.LongTermSettings),
        shared by the collections a run of the seal queue seals. Raises UserError when the authority is down."""
        self.ensure_one()
        credential = self._esign_seal_credential()
        timestamper = self._esign_timestamper(fresh=True)
        context = None
        if timestamper:
            try:
                context = self._esign_validation_context(timestamper)
            except timestamp_client.TimestampUnavailable as exc:
                raise UserError(self.env["esign.document"]._esign_timestamp_failure_message()) from exc
        return credential, timestamper, context

    def _esign_validation_context(self, timestamper):
        """What the seal needs to embed complete validation data: the trusted roots (the timestamp
        authority's included), the chain the authority sends now and the company CA's own CRL.

        Raises timestamp_client.TimestampUnavailable when the authority cannot be reached.
        """
        self.ensure_one()
        tsa_certificates = timestamp_client.timestamp_trust(timestamper)
        self._esign_learn_tsa_chain(tsa_certificates)
        authority = self._esign_authority()
        current = pki.to_asn1(authority.certificate).dump()
        crl = []

        def local_crl(issuer):
            # The company CA's CRL is made here, not fetched from this very server; a replaced CA
            # can no longer sign one (its key is gone): its certificates get none.
            if issuer.dump() == current:
                if not crl:
                    crl.append(pki.make_crl(authority))
                return crl[0]
            if self._esign_issued_by_company(issuer):
                return False
            return None

        return pades.LongTermSettings(
            trust_roots=tuple(self._esign_verification_roots()),
            certificates=tuple(tsa_certificates),
            local_crl=local_crl,
        )

    def _esign_issued_by_company(self, certificate):
        """Whether ``certificate`` (asn1crypto) is one of this company's own CAs, current or replaced."""
        self.ensure_one()
        own = self._esign_certificates("authority", archived=True).mapped("fingerprint")
        return fingerprint(certificate.dump()) in own
