from odoo import fields, models

PERIODICITIES = [
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("yearly", "Yearly"),
    ("once", "One-off"),
]


class EngagementLetterFeeLine(models.Model):
    _name = "engagement.letter.fee.line"
    _description = "Engagement letter fee line"
    _order = "sequence, id"

    letter_id = fields.Many2one("engagement.letter", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="letter_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="letter_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Label", required=True)
    amount = fields.Monetary(string="Amount (excl. tax)", required=True, currency_field="currency_id")
    periodicity = fields.Selection(PERIODICITIES, required=True, default="yearly")
