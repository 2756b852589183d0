import base64
import binascii

from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    esign_enabled = fields.Boolean(related="company_id.esign_enabled", readonly=False)
    engagement_signatory_id = fields.Many2one(related="company_id.engagement_signatory_id", readonly=False)
    engagement_aml_required = fields.Boolean(related="company_id.engagement_aml_required", readonly=False)
    esign_expiry_days = fields.Integer(related="company_id.esign_expiry_days", readonly=False)
    esign_extension_days = fields.Integer(related="company_id.esign_extension_days", readonly=False)
    esign_retention_days = fields.Integer(related="company_id.esign_retention_days", readonly=False)
    esign_expiring_soon_days = fields.Integer(related="company_id.esign_expiring_soon_days", readonly=False)
    esign_purge_soon_days = fields.Integer(related="company_id.esign_purge_soon_days", readonly=False)
    esign_auto_reminder_days = fields.Integer(related="company_id.esign_auto_reminder_days", readonly=False)
    esign_max_pdf_size_mb = fields.Integer(related="company_id.esign_max_pdf_size_mb", readonly=False)
    esign_otp_validity_minutes = fields.Integer(related="company_id.esign_otp_validity_minutes", readonly=False)
    esign_otp_max_attempts = fields.Integer(related="company_id.esign_otp_max_attempts", readonly=False)
    esign_otp_resend_seconds = fields.Integer(related="company_id.esign_otp_resend_seconds", readonly=False)
    esign_otp_hourly_limit = fields.Integer(related="company_id.esign_otp_hourly_limit", readonly=False)
    esign_otp_max_locked = fields.Integer(related="company_id.esign_otp_max_locked", readonly=False)
    esign_terms_url = fields.Char(related="company_id.esign_terms_url", readonly=False)
    esign_terms_text = fields.Text(related="company_id.esign_terms_text", readonly=False)
    esign_privacy_url = fields.Char(related="company_id.esign_privacy_url", readonly=False)
    esign_privacy_text = fields.Text(related="company_id.esign_privacy_text", readonly=False)
    esign_sms_gateway = fields.Selection(related="company_id.esign_sms_gateway", readonly=False)
    esign_sms_timeout = fields.Integer(related="company_id.esign_sms_timeout", readonly=False)
    esign_ovh_endpoint = fields.Char(related="company_id.esign_ovh_endpoint", readonly=False)
    esign_twilio_endpoint = fields.Char(related="company_id.esign_twilio_endpoint", readonly=False)
    esign_http_method = fields.Selection(related="company_id.esign_http_method", readonly=False)
    esign_ovh_application_key = fields.Char(
        related="company_id.esign_ovh_application_key", readonly=False, groups="base.group_system"
    )
    esign_ovh_application_secret = fields.Char(
        related="company_id.esign_ovh_application_secret", readonly=False, groups="base.group_system"
    )
    esign_ovh_consumer_key = fields.Char(
        related="company_id.esign_ovh_consumer_key", readonly=False, groups="base.group_system"
    )
    esign_ovh_service_name = fields.Char(
        related="company_id.esign_ovh_service_name", readonly=False, groups="base.group_system"
    )
    esign_ovh_sender = fields.Char(related="company_id.esign_ovh_sender", readonly=False, groups="base.group_system")
    esign_twilio_account_sid = fields.Char(
        related="company_id.esign_twilio_account_sid", readonly=False, groups="base.group_system"
    )
    esign_twilio_auth_token = fields.Char(
        related="company_id.esign_twilio_auth_token", readonly=False, groups="base.group_system"
    )
    esign_twilio_sender = fields.Char(
        related="company_id.esign_twilio_sender", readonly=False, groups="base.group_system"
    )
    esign_http_url = fields.Char(related="company_id.esign_http_url", readonly=False, groups="base.group_system")
    esign_http_headers = fields.Text(
        related="company_id.esign_http_headers", readonly=False, groups="base.group_system"
    )
    esign_http_body = fields.Text(related="company_id.esign_http_body", readonly=False, groups="base.group_system")

    esign_tsa_url = fields.Char(related="company_id.esign_tsa_url", readonly=False, groups="base.group_system")
    esign_tsa_username = fields.Char(
        related="company_id.esign_tsa_username", readonly=False, groups="base.group_system"
    )
    esign_tsa_password = fields.Char(
        string="Timestamp authority password",
        help="Leave empty to keep the password already saved.",
        groups="base.group_system",
    )
    esign_tsa_password_set = fields.Boolean(compute="_compute_esign_secrets_set")

    esign_seal_subject = fields.Char(related="company_id.esign_seal_subject")
    esign_seal_expiry = fields.Datetime(related="company_id.esign_seal_expiry")
    # Kept in the wizard's own column, never as an attachment, and emptied once installed.
    esign_seal_upload = fields.Binary(
        string="New seal certificate (PKCS#12)", attachment=False, groups="base.group_system"
    )
    esign_seal_upload_filename = fields.Char(groups="base.group_system")
    esign_seal_upload_password = fields.Char(string="Password of the certificate file", groups="base.group_system")
    esign_ca_fingerprint = fields.Char(string="CA certificate SHA-256", compute="_compute_esign_secrets_set")
    esign_master_key_configured = fields.Boolean(compute="_compute_esign_master_key_configured")

    def _compute_esign_master_key_configured(self):
        self.esign_master_key_configured = self.env["res.company"]._esign_master_key_configured()

    esign_tsa_root_subject = fields.Char(related="company_id.esign_tsa_root_subject")
    esign_tsa_root_upload = fields.Binary(string="Timestamp authority root (PEM or DER)")
    esign_tsa_root_upload_filename = fields.Char()
    esign_archive_renewal_days = fields.Integer(related="company_id.esign_archive_renewal_days", readonly=False)

    @api.depends("company_id")
    def _compute_esign_secrets_set(self):
        for settings in self:
            company_sudo = settings.company_id.sudo()
            settings.esign_tsa_password_set = bool(company_sudo.esign_tsa_password_secret)
            settings.esign_ca_fingerprint = settings.company_id._esign_ca_fingerprint()

    def set_values(self):
        result = super().set_values()
        company = self.company_id
        if self.esign_tsa_password:
            company._esign_set_tsa_password(self.esign_tsa_password)
        if self.esign_seal_upload:
            try:
                data = base64.b64decode(self.esign_seal_upload, validate=True)
            except (binascii.Error, ValueError):
                data = b""
            company._esign_install_seal(data, self.esign_seal_upload_password or "")
        if self.esign_tsa_root_upload:
            try:
                root = base64.b64decode(self.esign_tsa_root_upload, validate=True)
            except (binascii.Error, ValueError):
                root = b""
            company._esign_install_tsa_root(root)
        self.write(
            {
                "esign_tsa_password": False,
                "esign_seal_upload": False,
                "esign_seal_upload_filename": False,
                "esign_seal_upload_password": False,
                "esign_tsa_root_upload": False,
            }
        )
        return result

    def action_esign_remove_tsa_root(self):
        self.company_id._esign_remove_tsa_root()
        return True

    def action_esign_remove_seal(self):
        self.company_id._esign_remove_seal()
        return True

    def action_esign_renew_ca(self):
        self.company_id._esign_renew_authority()
        return True

    def action_esign_clear_tsa_password(self):
        self.company_id._esign_set_tsa_password(False)
        return True

    def _esign_ca_download(self, extension):
        self.company_id._esign_ca_certificate_pem()
        return {
            "type": "ir.actions.act_url",
            "url": f"/esign/ca/{self.company_id.id}.{extension}",
            "target": "self",
        }

    def action_esign_download_ca_pem(self):
        return self._esign_ca_download("pem")

    def action_esign_download_ca_der(self):
        return self._esign_ca_download("cer")
