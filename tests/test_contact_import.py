import base64
import io

import openpyxl
import xlwt

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import EsignCase

HEADER = ["Société", "Nom", "Prénom", "E-mail", "Mobile", "Langue"]
GOOD_ROWS = [
    ["Boucherie Éléonore", "Lefèvre", "Hélène", "helene@boucherie.example", "06 11 22 33 44", "fr_FR"],
    ["", "Dupont", "Jérôme", "jerome@dupont.example", "+32 470 98 76 54", "English"],
]


def _csv(rows, separator=";", encoding="utf-8"):
    text = "\r\n".join(separator.join(cell for cell in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def _xlsx(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xls(rows):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Contacts")
    for row_index, row in enumerate(rows):
        for column, value in enumerate(row):
            sheet.write(row_index, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestContactImport(EsignCase):
    """Signers' contacts come from a spreadsheet; the preview says what each row becomes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.preparer.groups_id = [Command.link(cls.env.ref("base.group_partner_manager").id)]

    def _wizard(self, data, filename):
        return (
            self.env["esign.contact.import"]
            .with_user(self.preparer)
            .create({"file": base64.b64encode(data), "filename": filename})
        )

    def _preview(self, data, filename):
        wizard = self._wizard(data, filename)
        wizard.action_preview()
        return wizard

    def test_sample_file_imports_cleanly(self):
        wizard = self.env["esign.contact.import"].with_user(self.preparer).create({})
        action = wizard.action_download_sample()
        self.assertIn("/sample_file/", action["url"])
        sample = base64.b64decode(wizard.sample_file)
        self.assertTrue(wizard.sample_filename.endswith(".xlsx"))
        wizard.write({"file": base64.b64encode(sample), "filename": wizard.sample_filename})
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.mapped("status"), ["new", "new", "new"], wizard.line_ids.mapped("message"))
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        sophie = self.env["res.partner"].search([("email", "=", "sophie.martin@boulangerie-martin.example")])
        self.assertEqual(sophie.name, "Sophie Martin")
        self.assertEqual(sophie.mobile, "+33612345678")
        self.assertEqual(sophie.parent_id.name, "Boulangerie Martin SARL")
        self.assertTrue(sophie.parent_id.is_company)
        luc = self.env["res.partner"].search([("email", "=", "luc.dupuis@brasserie-dupuis.example")])
        self.assertEqual(luc.mobile, "+32470123456", "an international number keeps its own country")
        self.assertEqual(len(wizard.line_ids.partner_id), 3)

    def test_each_bad_row_reported_and_only_valid_rows_imported(self):
        rows = [
            HEADER,
            ["", "", "Sans", "sans.nom@example.com", "", ""],
            ["", "Mauvais", "Courriel", "pas-un-courriel", "", ""],
            ["", "Fixe", "Numéro", "fixe@example.com", "01 42 00 00 00", ""],
            ["", "Court", "Numéro", "court@example.com", "06 12", ""],
            ["", "Klingon", "Langue", "klingon@example.com", "", "tlh"],
            ["", "Martin", "Sophie", "SOPHIE@boulangerie.example", "06 12 34 56 79", "fr"],
            ["", "Double", "Sophie", "sophie@boulangerie.example", "", ""],
            ["", "Nouveau", "Client", "nouveau@client.example", "", ""],
        ]
        wizard = self._preview(_csv(rows), "contacts.csv")
        by_row = {line.line: line for line in wizard.line_ids}
        self.assertEqual(by_row[2].status, "error")
        self.assertIn("last name is missing", by_row[2].message)
        self.assertIn("“pas-un-courriel” is not valid", by_row[3].message)
        self.assertIn("not a valid mobile number for France", by_row[4].message, "a landline is not a mobile")
        self.assertIn("not a valid mobile number for France", by_row[5].message)
        self.assertIn("language “tlh” is not installed", by_row[6].message)
        self.assertEqual((by_row[7].status, by_row[7].partner_id), ("update", self.client_fr), "matched by e-mail")
        self.assertIn("appears twice in the file", by_row[8].message)
        self.assertEqual(by_row[9].status, "new")
        self.assertEqual((wizard.new_count, wizard.update_count, wizard.error_count), (1, 1, 6))
        partners_before = self.env["res.partner"].search_count([])
        wizard.action_import()
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before + 1, "errors are left out")
        self.assertEqual(self.client_fr.mobile, "+33612345679")
        self.assertEqual(self.client_fr.lang, "fr_FR", "“fr” is French")
        self.assertFalse(self.env["res.partner"].search([("email", "=", "pas-un-courriel")]))

    def _assert_two_new(self, wizard):
        self.assertEqual(wizard.line_ids.mapped("status"), ["new", "new"], wizard.line_ids.mapped("message"))
        self.assertEqual(wizard.line_ids[0].name, "Hélène Lefèvre")
        self.assertEqual(wizard.line_ids[0].company_name, "Boucherie Éléonore")
        self.assertEqual(wizard.line_ids[0].mobile, "+33611223344")
        self.assertEqual(wizard.line_ids[1].lang, "en_US")

    def test_csv_utf8_semicolon(self):
        self._assert_two_new(self._preview(_csv([HEADER, *GOOD_ROWS]), "contacts.csv"))

    def test_csv_utf8_bom_comma(self):
        data = b"\xef\xbb\xbf" + _csv([HEADER, *GOOD_ROWS], separator=",")
        self._assert_two_new(self._preview(data, "contacts.csv"))

    def test_csv_windows_1252(self):
        self._assert_two_new(self._preview(_csv([HEADER, *GOOD_ROWS], encoding="cp1252"), "contacts.csv"))

    def test_xlsx(self):
        self._assert_two_new(self._preview(_xlsx([HEADER, *GOOD_ROWS]), "contacts.xlsx"))

    def test_xls(self):
        self._assert_two_new(self._preview(_xls([HEADER, *GOOD_ROWS]), "contacts.xls"))

    def test_english_headers(self):
        header = ["Company", "Last name", "First name", "Email", "Mobile", "Language"]
        self._assert_two_new(self._preview(_csv([header, *GOOD_ROWS], separator=","), "contacts.csv"))

    def test_wrong_format_or_encoding_refused(self):
        cases = [
            (b"%PDF-1.7 not a contacts file", "contacts.pdf", "not a contacts file"),
            (b"PK\x03\x04 broken zip", "contacts.xlsx", "cannot be read"),
            (b"just some text", "contacts.xlsx", "not a contacts file"),
            ("Nom;E-mail\n".encode("utf-16"), "contacts.csv", "UTF-8 or Windows-1252"),
            (b"\x81\x8d\x8f;\x90\n", "contacts.csv", "UTF-8 or Windows-1252"),
            (_csv([["Colonne", "Autre"], ["a", "b"]]), "contacts.csv", "do not match the sample file"),
            (b"", "contacts.csv", "empty"),
        ]
        for data, filename, message in cases:
            with self.subTest(filename=filename, message=message):
                wizard = self.env["esign.contact.import"].with_user(self.preparer).create({"filename": filename})
                wizard.file = base64.b64encode(data) if data else False
                with self.assertRaisesRegex(UserError, message if data else "Choose the file"):
                    wizard.action_preview()
                self.assertFalse(wizard.line_ids)

    def test_nothing_to_import(self):
        wizard = self._preview(_csv([HEADER, ["", "", "", "x", "", ""]]), "contacts.csv")
        with self.assertRaisesRegex(UserError, "No row can be imported"):
            wizard.action_import()

    def test_french_sample_file_and_messages(self):
        self.env["ir.module.module"]._load_module_terms(["engagement_letter_esign"], ["fr_FR"], overwrite=True)
        wizard = self.env["esign.contact.import"].with_user(self.preparer).with_context(lang="fr_FR").create({})
        self.assertEqual(wizard.sample_filename, "exemple_contacts_signataires.xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.sample_file))).active
        self.assertEqual([cell.value for cell in sheet[1]], HEADER)
        wizard.write({"file": wizard.sample_file, "filename": wizard.sample_filename})
        wizard.action_preview()
        self.assertEqual(wizard.new_count, 3)
        bad = self._wizard(_csv([HEADER, ["", "", "", "x", "", ""]]), "contacts.csv").with_context(lang="fr_FR")
        bad.action_preview()
        self.assertEqual(bad.line_ids.message, "Le nom manque; l'adresse e-mail « x » n'est pas valide.")


@tagged("post_install", "-at_install")
class TestContactImportDownload(HttpCase):
    def test_sample_file_downloads_from_the_import_screen(self):
        user = new_test_user(
            self.env,
            login="esign_importer",
            password="esign_importer",
            groups="engagement_letter_esign.group_esign_user",
        )
        wizard = self.env["esign.contact.import"].with_user(user).create({})
        url = wizard.action_download_sample()["url"]
        self.authenticate("esign_importer", "esign_importer")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        self.assertEqual(sheet.max_row, 4, "a header and three example contacts")
