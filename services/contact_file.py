"""Read a contacts file (XLSX, XLS or CSV) into rows of text, without the ORM.

The caller gets a list of dicts keyed by the column keys below, or a ContactFileError
whose ``reason`` says what is wrong with the file as a whole.
"""

import csv
import io
import unicodedata
import zipfile

import openpyxl
import xlrd

COLUMNS = ("company", "last_name", "first_name", "email", "mobile", "lang")

# Accepted header spellings, compared without accents, case, spaces or punctuation.
HEADER_ALIASES = {
    "company": ("company", "societe", "entreprise", "raisonsociale", "client"),
    "last_name": ("lastname", "nom", "name", "nomdefamille"),
    "first_name": ("firstname", "prenom"),
    "email": ("email", "mail", "courriel", "adresseemail", "adressemail"),
    "mobile": ("mobile", "portable", "telephonemobile", "telephoneportable", "mobilephone", "cellphone"),
    "lang": ("language", "langue", "lang"),
}
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ROWS = 10000


class ContactFileError(Exception):
    """The file cannot be read as a contacts file; ``reason`` is one of the keys of REASONS."""

    def __init__(self, reason, detail=""):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def _header_key(text):
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return "".join(char for char in text if char.isalnum())


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _decode_text(data):
    """UTF-8 (with or without BOM) first, then Windows-1252; anything else is refused."""
    if b"\x00" in data:
        raise ContactFileError("encoding")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ContactFileError("encoding")


def _read_csv(data):
    text = _decode_text(data)
    first_line = text.lstrip().split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _read_xlsx(data):

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ContactFileError("unreadable", str(error)) from error
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_xls(data):

    try:
        book = xlrd.open_workbook(file_contents=data)
    except xlrd.XLRDError as error:
        raise ContactFileError("unreadable", str(error)) from error
    sheet = book.sheet_by_index(0)
    return [sheet.row_values(index) for index in range(sheet.nrows)]


def read_contact_rows(data, filename=""):
    """Rows of the file as dicts of text, each with its line number under ``line``."""
    if not data:
        raise ContactFileError("empty")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension and extension not in ("csv", "txt", "xls", "xlsx"):
        raise ContactFileError("format")
    if data.startswith(XLSX_MAGIC):
        rows = _read_xlsx(data)
    elif data.startswith(XLS_MAGIC):
        rows = _read_xls(data)
    elif extension in ("xls", "xlsx"):
        raise ContactFileError("format")
    else:
        rows = _read_csv(data)
    rows = [[_cell_text(cell) for cell in row] for row in rows]
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise ContactFileError("empty")
    header = [_header_key(cell) for cell in rows[0]]
    positions = {}
    for key, aliases in HEADER_ALIASES.items():
        for index, cell in enumerate(header):
            if cell in aliases and key not in positions:
                positions[key] = index
                break
    missing = [key for key in ("last_name", "email") if key not in positions]
    if missing:
        raise ContactFileError("columns", ", ".join(missing))
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        values = {key: (row[index] if index < len(row) else "") for key, index in positions.items()}
        values.update({key: "" for key in COLUMNS if key not in values})
        values["line"] = number
        result.append(values)
        if len(result) > MAX_ROWS:
            raise ContactFileError("too_many")
    return result
