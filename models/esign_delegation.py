from odoo import api, fields, models
from odoo.exceptions import ValidationError

DELEGATION_RIGHTS = ("can_prepare", "can_launch", "can_see")


class EsignDelegation(models.Model):
    """What a chartered accountant lets a collaborator do for them: prepare, launch, see their collections.

    Never sign: only the accountant signs, a delegation gives no right to sign or seal.
    """

    _name = "esign.delegation"
    _description = "Signature delegation"
    _inherit = ["mail.thread"]
    _order = "accountant_id, collaborator_id, id"
    _check_company_auto = True
    _rec_name = "collaborator_id"

    accountant_id = fields.Many2one(
        "res.users",
        string="Chartered accountant",
        required=True,
        index=True,
        tracking=True,
        default=lambda self: self.env.user,
        domain=lambda self: [("groups_id", "in", self.env.ref("engagement_letter_esign.group_esign_signatory").ids)],
        help="The signatory of the firm for whom the collaborator acts.",
    )
    collaborator_id = fields.Many2one(
        "res.users",
        required=True,
        index=True,
        tracking=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("engagement_letter_esign.group_esign_user").ids)],
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    can_prepare = fields.Boolean(string="Prepare", tracking=True, help="Prepare collections on their behalf.")
    can_launch = fields.Boolean(string="Launch", tracking=True, help="Launch the collections prepared for them.")
    can_see = fields.Boolean(string="See", tracking=True, help="See all the collections made on their behalf.")
    date_end = fields.Date(string="Until", tracking=True, help="Included; empty for no end.")
    active = fields.Boolean(default=True, tracking=True)
    is_effective = fields.Boolean(string="In force", compute="_compute_is_effective", search="_search_is_effective")

    @api.depends("active", "date_end")
    def _compute_is_effective(self):
        today = fields.Date.context_today(self)
        for delegation in self:
            delegation.is_effective = delegation.active and (not delegation.date_end or delegation.date_end >= today)

    def _search_is_effective(self, operator, value):
        """Evaluated at each search, so a delegation stops working the day after its end date."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Unsupported search on the delegation validity."))
        today = fields.Date.context_today(self)
        effective = [("active", "=", True), "|", ("date_end", "=", False), ("date_end", ">=", today)]
        if (operator == "=") == value:
            return effective
        return ["|", ("active", "=", False), ("date_end", "<", today)]

    @api.constrains("accountant_id", "collaborator_id")
    def _check_people(self):
        signatory = self.env.ref("engagement_letter_esign.group_esign_signatory")
        for delegation in self:
            if delegation.accountant_id == delegation.collaborator_id:
                raise ValidationError(self.env._("A delegation is given to someone else."))
            if signatory not in delegation.accountant_id.groups_id:
                raise ValidationError(
                    self.env._(
                        "%s is not a signatory of the firm: only a signatory gives delegations.",
                        delegation.accountant_id.name,
                    )
                )

    def action_withdraw(self):
        """Withdraw the delegation: it stops at once, its history stays."""
        self.write({"active": False})
        return True

    def action_grant(self):
        self.write({"active": True})
        return True

    @api.model
    def _has_right(self, accountant, right, user=None):
        """True when ``user`` (the current user by default) may use ``right`` for ``accountant`` today."""
        if right not in DELEGATION_RIGHTS:
            raise ValueError(right)
        user = user or self.env.user
        return bool(
            self.sudo().search_count(
                [
                    ("accountant_id", "=", accountant.id),
                    ("collaborator_id", "=", user.id),
                    (right, "=", True),
                    ("is_effective", "=", True),
                ],
                limit=1,
            )
        )
