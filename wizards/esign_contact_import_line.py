from odoo import fields, models


class EsignContactImportLine(models.TransientModel):
    """One row of a contacts file, as the preview shows it."""

    _name = "esign.contact.import.line"
    _description = "Contacts import row"
    _order = "line"

    wizard_id = fields.Many2one("esign.contact.import", required=True, ondelete="cascade")
    line = fields.Integer(string="Row")
    status = fields.Selection([("new", "New"), ("update", "Update"), ("error", "Error")], required=True)
    message = fields.Char(string="Reason")
    company_name = fields.Char(string="Company")
    last_name = fields.Char()
    first_name = fields.Char()
    name = fields.Char()
    email = fields.Char(string="E-mail")
    mobile = fields.Char()
    lang_text = fields.Char(string="Language in the file")
    lang = fields.Selection(selection=lambda self: self.env["res.lang"].get_installed(), string="Language")
    partner_id = fields.Many2one("res.partner", string="Contact")

    def _partner_values(self, companies):
        self.ensure_one()
        vals = {"name": self.name, "email": self.email}
        if self.mobile:
            vals["mobile"] = self.mobile
        if self.lang:
            vals["lang"] = self.lang
        if self.company_name:
            vals["parent_id"] = companies[self.company_name].id
        return vals
