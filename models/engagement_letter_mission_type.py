from odoo import fields, models


class EngagementLetterMissionType(models.Model):
    _name = "engagement.letter.mission.type"
    _description = "Engagement letter mission type"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    code = fields.Char()
    standard = fields.Char(string="Professional standard", help="The standard that applies, e.g. NP 2300.")
    scope = fields.Html(string="Nature, scope and limits of the mission")
    firm_obligations = fields.Html(string="Firm's obligations")
    client_obligations = fields.Html(string="Client's obligations")
    letter_template = fields.Html(string="Letter template")
    mandatory_clause_ids = fields.Many2many(
        "engagement.letter.clause",
        string="Mandatory clauses",
        help="What the letter must contain before it is sent.",
    )
