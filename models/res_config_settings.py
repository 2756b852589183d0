import base64
import binascii

from odoo import api, fields, models

from ..services import pki


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

    esign_tsa_url = fields.Char(related="company_id.esign_tsa_url", readonly=False)
    esign_tsa_username = fields.Char(related="company_id.esign_tsa_username", readonly=False)
    esign_tsa_password = fields.Char(
        string="Timestamp authority password", help="Leave empty to keep the password already saved."
    )
    esign_tsa_password_set = fields.Boolean(compute="_compute_esign_secrets_set")

    esign_seal_subject = fields.Char(related="company_id.esign_seal_subject")
    esign_seal_expiry = fields.Datetime(related="company_id.esign_seal_expiry")
    esign_seal_upload = fields.Binary(string="New seal certificate (PKCS#12)")
    esign_seal_upload_filename = fields.Char()
    esign_seal_upload_password = fields.Char(string="Password of the certificate file")
    esign_ca_fingerprint = fields.Char(string="CA certificate SHA-256", compute="_compute_esign_secrets_set")

    @api.depends("company_id")
    def _compute_esign_secrets_set(self):
        for settings in self:
            company_sudo = settings.company_id.sudo()
            settings.esign_tsa_password_set = bool(company_sudo.esign_tsa_password_secret)
            pem = company_sudo.esign_ca_certificate
            settings.esign_ca_fingerprint = (
                pki.certificate_sha256(pki.load_certificate_pem(pem)).upper() if pem else False
            )

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
        self.write({"esign_tsa_password": False, "esign_seal_upload": False, "esign_seal_upload_password": False})
        return result

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
