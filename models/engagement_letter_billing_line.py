from odoo import fields, models


class EngagementLetterBillingLine(models.Model):
    _name = "engagement.letter.billing.line"
    _description = "Engagement letter billing plan line"
    _order = "due_date, id"

    letter_id = fields.Many2one("engagement.letter", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="letter_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="letter_id.currency_id")
    fee_line_id = fields.Many2one("engagement.letter.fee.line", ondelete="set null")
    name = fields.Char(string="Label", required=True)
    due_date = fields.Date(required=True, index=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
