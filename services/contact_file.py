"""Read a contacts file (XLSX, XLS or CSV) into rows of text, without the ORM.

The caller gets a list of dicts keyed by the column keys below, or a ContactFileError
whose ``reason`` says what is wrong with the file as a whole.
"""

import csv
import io
import re
import unicodedata
import zipfile

import babel
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
# One label of a domain name (IDNA-encoded) and a top-level domain: letters, or an IDNA one.
DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TOP_LEVEL_DOMAIN = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


class ContactFileError(Exception):
    """The file cannot be read as a contacts file; ``reason`` is one of the keys of REASONS."""

    def __init__(self, reason, detail=""):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def email_domain_is_valid(email):
    """Whether the domain of a normalized address can receive mail: ``name@company.fr``, not ``name@company``."""
    domain = (email or "").rpartition("@")[2].rstrip(".")
    if not domain:
        return False
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and all(DOMAIN_LABEL.match(label) for label in labels)
        and bool(TOP_LEVEL_DOMAIN.match(labels[-1]))
    )


def _fold(text):
    """Lower case without accents, to compare names as people write them."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(text.casefold().replace("-", "_").split())


def language_aliases(code, name, reader_langs=("en_US",)):
    """What a person may write for an installed language: its code, its ISO code, its name as Odoo
    spells it (``French / Français``), and its name in its own language and in each reader's language."""
    aliases = {_fold(code), _fold(code.split("_")[0]), _fold(name)}
    aliases.update(_fold(part) for part in name.split("/"))
    # "French (BE) / Français (BE)": the bare name too, for the language of the country.
    aliases.update(_fold(part.split("(")[0]) for part in name.split("/"))
    try:
        locale = babel.Locale.parse(code.split("@")[0])
    except (ValueError, babel.UnknownLocaleError):
        return aliases - {""}
    for reader in (code, *reader_langs):
        try:
            aliases.add(_fold(locale.get_language_name(reader.split("@")[0])))
            aliases.add(_fold(locale.get_display_name(reader.split("@")[0])))
        except (ValueError, babel.UnknownLocaleError):
            continue
    return aliases - {""}


def find_language(text, langs, reader_langs=("en_US",)):
    """Installed language code for what a file says (``fr``, ``fr_FR``, ``fr-FR``, ``French``, ``Français``).

    ``langs`` are (code, name) pairs of the installed languages. A bare language (``fr``, ``Français``) with
    several installed variants picks the language's own country (fr_FR), else the first one.
    """
    wanted = _fold(text)
    if not wanted:
        return False
    for code, _name in langs:
        if _fold(code) == wanted:
            return code
    matches = [code for code, name in langs if wanted in language_aliases(code, name, reader_langs)]
    if not matches:
        return False
    for code in matches:
        iso, _sep, country = code.partition("_")
        if country.lower() == iso.lower():
            return code
    return matches[0]


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
