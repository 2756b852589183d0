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

    @api.constrains(
        "esign_expiry_days",
        "esign_extension_days",
        "esign_retention_days",
        "esign_expiring_soon_days",
        "esign_purge_soon_days",
        "esign_auto_reminder_days",
        "esign_max_pdf_size_mb",
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

    def _esign_trust_roots(self):
        """Certificates a verifier of this company's signatures trusts (its CA, its seal's chain)."""
        return []
