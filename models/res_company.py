from odoo import api, fields, models
from odoo.exceptions import ValidationError


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
        help="A signer who locked this many codes is blocked and the preparer is warned.",
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
        [("odoo", "Odoo SMS"), ("ovh", "OVHcloud SMS"), ("twilio", "Twilio"), ("http", "Generic HTTP API")],
        string="SMS gateway",
        default="odoo",
        required=True,
    )
    esign_sms_timeout = fields.Integer(string="SMS gateway timeout (seconds)", default=10)
    esign_ovh_endpoint = fields.Char(string="OVHcloud API endpoint", default="https://eu.api.ovh.com/1.0")
    esign_ovh_application_key = fields.Char(string="OVHcloud application key", groups="base.group_system")
    esign_ovh_application_secret = fields.Char(string="OVHcloud application secret", groups="base.group_system")
    esign_ovh_consumer_key = fields.Char(string="OVHcloud consumer key", groups="base.group_system")
    esign_ovh_service_name = fields.Char(string="OVHcloud SMS account", groups="base.group_system")
    esign_ovh_sender = fields.Char(string="OVHcloud sender", groups="base.group_system")
    esign_twilio_endpoint = fields.Char(string="Twilio API endpoint", default="https://api.twilio.com")
    esign_twilio_account_sid = fields.Char(string="Twilio account SID", groups="base.group_system")
    esign_twilio_auth_token = fields.Char(string="Twilio auth token", groups="base.group_system")
    esign_twilio_sender = fields.Char(string="Twilio sender number", groups="base.group_system")
    esign_http_url = fields.Char(string="SMS API URL", groups="base.group_system")
    esign_http_method = fields.Selection(
        [("POST", "POST"), ("PUT", "PUT"), ("GET", "GET")], string="SMS API method", default="POST"
    )
    esign_http_headers = fields.Text(
        string="SMS API headers",
        groups="base.group_system",
        help='A JSON object, for example {"Content-Type": "application/json", "Authorization": "Bearer ..."}',
    )
    esign_http_body = fields.Text(
        string="SMS API body",
        help="The request body; {to} is replaced by the number (E.164) and {message} by the text.",
        default='{"to": "{to}", "text": "{message}"}',
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

    def _esign_trust_roots(self):
        """Certificates a verifier of this company's signatures trusts (its CA, its seal's chain)."""
        return []
