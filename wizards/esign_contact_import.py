import base64
import io

import openpyxl

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize

from ..services.contact_file import ContactFileError, email_domain_is_valid, find_language, read_contact_rows

SAMPLE_ROWS = [
    (
        "Boulangerie Martin SARL",
        "Martin",
        "Sophie",
        "sophie.martin@boulangerie-martin.example",
        "+33 6 12 34 56 78",
        "fr_FR",
    ),
    ("Brasserie Dupuis SRL", "Dupuis", "Luc", "luc.dupuis@brasserie-dupuis.example", "+32 470 12 34 56", "fr_FR"),
    ("Horlogerie Keller SA", "Keller", "Anna", "anna.keller@horlogerie-keller.example", "+41 79 123 45 67", "en_US"),
]


class EsignContactImport(models.TransientModel):
    """Import signers' contacts from a spreadsheet: preview each row, then create or update in one go."""

    _name = "esign.contact.import"
    _description = "Import signers' contacts"

    file = fields.Binary(help="XLSX, XLS or CSV with the columns of the sample file.")
    filename = fields.Char()
    state = fields.Selection([("upload", "Upload"), ("preview", "Preview"), ("done", "Done")], default="upload")
    line_ids = fields.One2many("esign.contact.import.line", "wizard_id", string="Rows", readonly=True)
    new_count = fields.Integer(compute="_compute_counts")
    update_count = fields.Integer(compute="_compute_counts")
    error_count = fields.Integer(compute="_compute_counts")
    sample_file = fields.Binary(compute="_compute_sample_file")
    sample_filename = fields.Char(compute="_compute_sample_file")

    @api.depends("line_ids.status")
    def _compute_counts(self):
        for wizard in self:
            statuses = wizard.line_ids.mapped("status")
            wizard.new_count = statuses.count("new")
            wizard.update_count = statuses.count("update")
            wizard.error_count = statuses.count("error")

    def _compute_sample_file(self):
        data = base64.b64encode(self._sample_xlsx())
        for wizard in self:
            wizard.sample_file = data
            wizard.sample_filename = self.env._("signers_contacts_sample.xlsx")

    @api.model
    def _sample_headers(self):
        return [
            self.env._("Company"),
            self.env._("Last name"),
            self.env._("First name"),
            self.env._("E-mail"),
            self.env._("Mobile"),
            self.env._("Language"),
        ]

    @api.model
    def _sample_xlsx(self):

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = self.env._("Contacts")
        sheet.append(self._sample_headers())
        for row in SAMPLE_ROWS:
            sheet.append(list(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def action_download_sample(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/sample_file/{self.sample_filename}?download=true",
            "target": "self",
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import contacts"),
        }

    # ------------------------------------------------------------------
    # Reading and checking the file
    # ------------------------------------------------------------------

    def _file_error_message(self, error):
        messages = {
            "empty": self.env._("The file is empty."),
            "format": self.env._(
                "This file is not a contacts file: use an Excel workbook (.xlsx or .xls) or a CSV file "
                "built on the sample file."
            ),
            "unreadable": self.env._("The spreadsheet cannot be read: it is damaged or not really an Excel file."),
            "encoding": self.env._(
                "The file cannot be read as text: save the CSV in UTF-8 or Windows-1252 (Excel's “CSV” format)."
            ),
            "columns": self.env._(
                "The columns of the file do not match the sample file: the Last name and E-mail columns are required."
            ),
            "too_many": self.env._("The file has too many rows: import at most 10,000 contacts at a time."),
        }
        return messages[error.reason]

    @api.model
    def _find_lang(self, text, langs):
        """Installed language code for a code or a name written in the file (fr, fr_FR, French, Français...),
        names read in English and in the user's language."""
        return find_language(text, langs, reader_langs=("en_US", self.env.lang or "en_US"))

    def _check_rows(self, rows):
        """Line values for the preview: the status and reason of each row, partners matched in one search."""
        country = self.env.company.country_id
        langs = self.env["res.lang"].get_installed()
        emails = {email_normalize(row["email"]) for row in rows} - {False}
        partners = self.env["res.partner"].search([("email_normalized", "in", list(emails))], order="id")
        by_email = {}
        for partner in partners:
            by_email.setdefault(partner.email_normalized, partner)
        signer_model = self.env["esign.signer"]
        seen = set()
        lines = []
        for row in rows:
            name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
            values = {
                "line": row["line"],
                "company_name": row["company"],
                "last_name": row["last_name"],
                "first_name": row["first_name"],
                "email": row["email"],
                "mobile": row["mobile"],
                "lang_text": row["lang"],
                "name": name,
            }
            email = email_normalize(row["email"])
            problems = []
            if not row["last_name"]:
                problems.append(self.env._("the last name is missing"))
            if not row["email"]:
                problems.append(self.env._("the e-mail address is missing"))
            elif not email:
                problems.append(self.env._("the e-mail address “%s” is not valid", row["email"]))
            elif not email_domain_is_valid(email):
                problems.append(
                    self.env._("the e-mail address “%s” has no valid domain name (e.g. name@company.fr)", row["email"])
                )
                email = False
            elif email in seen:
                problems.append(self.env._("the e-mail address %s appears twice in the file", email))
            seen.add(email)
            partner = by_email.get(email) if email else None
            if row["mobile"]:
                try:
                    values["mobile"] = signer_model._normalize_mobile(
                        row["mobile"], (partner and partner.country_id) or country
                    )
                except ValidationError:
                    problems.append(
                        self.env._(
                            "the mobile number “%(number)s” is not a valid mobile number for %(country)s",
                            number=row["mobile"],
                            country=((partner and partner.country_id) or country).name or self.env._("its country"),
                        )
                    )
            if row["lang"]:
                values["lang"] = self._find_lang(row["lang"], langs)
                if not values["lang"]:
                    problems.append(
                        self.env._(
                            "the language “%(lang)s” is not installed (installed: %(installed)s)",
                            lang=row["lang"],
                            installed=", ".join(name for _code, name in langs),
                        )
                    )
            if problems:
                message = "; ".join(problems)
                values.update(status="error", message=message[:1].upper() + message[1:] + ".")
            else:
                values.update(status="update" if partner else "new", partner_id=partner and partner.id)
                values["email"] = email
            lines.append(values)
        return lines

    def action_preview(self):
        self.ensure_one()
        if not self.file:
            raise UserError(self.env._("Choose the file to import."))
        try:
            rows = read_contact_rows(base64.b64decode(self.file), self.filename or "")
        except ContactFileError as error:
            raise UserError(self._file_error_message(error)) from error
        self.line_ids.unlink()
        self.write({"state": "preview", "line_ids": [fields.Command.create(vals) for vals in self._check_rows(rows)]})
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.write({"state": "upload", "file": False, "filename": False})
        return self._reopen()

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    def _companies_by_name(self, names):
        """Company contacts for the names of the file: existing ones found in one search, others created at once."""
        Partner = self.env["res.partner"]
        existing = Partner.search([("is_company", "=", True), ("name", "in", list(names))], order="id")
        by_name = {}
        for company in existing:
            by_name.setdefault(company.name, company)
        missing = [name for name in names if name not in by_name]
        for company in Partner.create([{"name": name, "is_company": True} for name in missing]):
            by_name[company.name] = company
        return by_name

    def action_import(self):
        """Create the new contacts and update the matched ones; rows in error are left out."""
        self.ensure_one()
        valid = self.line_ids.filtered(lambda line: line.status in ("new", "update"))
        if not valid:
            raise UserError(self.env._("No row can be imported: correct the file and load it again."))
        companies = self._companies_by_name({line.company_name for line in valid if line.company_name})
        new_vals = []
        for line in valid:
            vals = line._partner_values(companies)
            if line.status == "new":
                new_vals.append(vals)
            else:
                line.partner_id.write(vals)
        created = self.env["res.partner"].create(new_vals)
        for line, partner in zip(valid.filtered(lambda line: line.status == "new"), created, strict=True):
            line.partner_id = partner
        self.state = "done"
        return self._reopen()

    def action_open_contacts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("id", "in", self.line_ids.partner_id.ids)],
            "name": self.env._("Imported contacts"),
        }
