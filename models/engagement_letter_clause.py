from odoo import fields, models

# Letter fields a mission type may require before the letter is sent.
CLAUSE_FIELDS = [
    ("contact_id", "Client contact"),
    ("signatory_id", "Firm signatory"),
    ("manager_id", "File manager"),
    ("start_date", "Mission start"),
    ("duration_years", "Duration"),
    ("notice_months", "Notice period"),
    ("payment_terms", "Payment terms"),
    ("fee_line_ids", "Fees"),
    ("specific_terms", "Specific terms"),
]


class EngagementLetterClause(models.Model):
    _name = "engagement.letter.clause"
    _description = "Mandatory clause of an engagement letter"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    letter_field = fields.Selection(
        CLAUSE_FIELDS, string="Letter content", required=True, help="The content of the letter that must be filled."
    )

    _sql_constraints = [("letter_field_unique", "UNIQUE(letter_field)", "A clause per letter content.")]
