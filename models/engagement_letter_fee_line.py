from odoo import api, fields, models

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

    def _drop_stale_pdf(self, letters):
        """The fees are the letter's content: a change drops the edited PDF, rendered again before sending."""
        letters.filtered(lambda letter: letter.state == "edited" and letter.pdf).write({"pdf": False})

    @api.model_create_multi
    def create(self, vals_list):
        letters = self.env["engagement.letter"].browse({vals.get("letter_id") for vals in vals_list} - {None, False})
        letters._check_content_editable()
        lines = super().create(vals_list)
        self._drop_stale_pdf(lines.letter_id)
        return lines

    def write(self, vals):
        letters = self.letter_id
        if "letter_id" in vals:
            letters |= self.env["engagement.letter"].browse(vals["letter_id"])
        letters._check_content_editable()
        result = super().write(vals)
        self._drop_stale_pdf(letters)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_while_editable(self):
        self.letter_id._check_content_editable()
