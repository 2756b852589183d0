from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    esign_delegation_given_ids = fields.One2many(
        "esign.delegation", "accountant_id", string="Delegations given", groups="base.group_user"
    )
