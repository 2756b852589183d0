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
