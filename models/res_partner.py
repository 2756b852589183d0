from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    aml_check_date = fields.Date(
        string="Identity check date", help="Anti-money-laundering: when the client's identity was checked."
    )
    aml_risk_level = fields.Selection(
        [("low", "Low"), ("standard", "Standard"), ("high", "High")],
        string="Money-laundering risk level",
    )
