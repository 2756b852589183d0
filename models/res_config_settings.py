from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    esign_enabled = fields.Boolean(related="company_id.esign_enabled", readonly=False)
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
    esign_http_body = fields.Text(related="company_id.esign_http_body", readonly=False)
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
