"""Hostile PDFs, made from one genuinely signed PDF, to attack the verifier (tests and bench).

Plain Python with pyHanko only (no Odoo, no relative import), so ``bench/bench_verifier.py`` can
import it too. Each function takes the bytes of a PDF carrying at least one signature and returns
the bytes of a file built to cost the verifier time, memory or log lines, or to break its reader.
"""

import io
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader


def _writer(signed):
    return IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)


def _written(writer):
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _acroform(writer):
    acroform = writer.root["/AcroForm"]
    raw = writer.root.raw_get("/AcroForm")
    if isinstance(raw, generic.IndirectObject):
        writer.mark_update(raw)
    else:
        writer.update_root()
    return acroform


def _first_signature(writer):
    """The first filled signature field: (field dictionary, raw /V reference)."""
    for field_ref in writer.root["/AcroForm"]["/Fields"]:
        field = field_ref.get_object()
        if field.get("/FT") == "/Sig" and "/V" in field:
            return field, field.raw_get("/V")
    raise ValueError("no signature in this PDF")


def _sig_field(writer, name, value):
    field = generic.DictionaryObject(
        {
            generic.NameObject("/FT"): generic.NameObject("/Sig"),
            generic.NameObject("/T"): generic.TextStringObject(name),
            generic.NameObject("/V"): value,
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
        }
    )
    return writer.add_object(field)


def fields_sharing_one_signature(signed, count=400):
    """``count`` signature fields whose /V all point at the PDF's first signature object."""
    writer = _writer(signed)
    _field, value = _first_signature(writer)
    fields = _acroform(writer)["/Fields"]
    for number in range(count):
        fields.append(_sig_field(writer, f"Copie{number}", value))
    return _written(writer)


def _copy_of_signature(writer, changes=None):
    """A new signature object with the same entries as the first one, ``changes`` applied."""
    _field, value = _first_signature(writer)
    original = value.get_object()
    copy = generic.DictionaryObject({key: original.raw_get(key) for key in original})
    for key, item in (changes or {}).items():
        if item is None:
            copy.pop(generic.NameObject(key), None)
        else:
            copy[generic.NameObject(key)] = item
    return writer.add_object(copy)


def distinct_copies_of_signature(signed, count=200):
    """``count`` distinct signature objects, each a full copy of the first signature (each checks out)."""
    writer = _writer(signed)
    fields = _acroform(writer)["/Fields"]
    for number in range(count):
        fields.append(_sig_field(writer, f"Faux{number}", _copy_of_signature(writer)))
    return _written(writer)


def signature_with(signed, **changes):
    """The signed PDF plus one signature field whose copy of the first signature has ``changes``."""
    writer = _writer(signed)
    fields = _acroform(writer)["/Fields"]
    changes = {f"/{key}": value for key, value in changes.items()}
    fields.append(_sig_field(writer, "Piege", _copy_of_signature(writer, changes)))
    return _written(writer)


def malformed_references(signed):
    """One signature per malformed /Reference (DocMDP/FieldMDP reference dictionary)."""
    transform = generic.NameObject("/TransformMethod")
    variants = [
        generic.NumberObject(5),
        generic.NameObject("/DocMDP"),
        generic.ArrayObject([generic.NumberObject(1), generic.NullObject()]),
        generic.DictionaryObject({transform: generic.NameObject("/DocMDP")}),
        generic.ArrayObject(
            [
                generic.DictionaryObject(
                    {
                        transform: generic.NameObject("/DocMDP"),
                        generic.NameObject("/TransformParams"): generic.NumberObject(7),
                    }
                )
            ]
        ),
        generic.ArrayObject(
            [
                generic.DictionaryObject(
                    {
                        transform: generic.NameObject("/FieldMDP"),
                        generic.NameObject("/TransformParams"): generic.DictionaryObject(
                            {generic.NameObject("/Action"): generic.NumberObject(3)}
                        ),
                    }
                )
            ]
        ),
    ]
    writer = _writer(signed)
    fields = _acroform(writer)["/Fields"]
    for number, reference in enumerate(variants):
        signature = _copy_of_signature(writer, {"/Reference": reference})
        fields.append(_sig_field(writer, f"Reference{number}", signature))
    return _written(writer)


def bad_byte_ranges(signed):
    """One signature per wrong /ByteRange: wrong types, negative, beyond the file, odd length, huge."""
    number = generic.NumberObject
    variants = [
        generic.TextStringObject("0 100 200 300"),
        generic.ArrayObject([number(0), generic.TextStringObject("x"), number(10), number(20)]),
        generic.ArrayObject([number(0), number(-50), number(10), number(20)]),
        generic.ArrayObject([number(0), number(10), number(10**12), number(10**12)]),
        generic.ArrayObject([number(0), number(10), number(20)]),
        generic.ArrayObject([number(n) for n in range(20000)]),
        generic.NullObject(),
    ]
    writer = _writer(signed)
    fields = _acroform(writer)["/Fields"]
    for position, byte_range in enumerate(variants):
        signature = _copy_of_signature(writer, {"/ByteRange": byte_range})
        fields.append(_sig_field(writer, f"Plage{position}", signature))
    return _written(writer)


def contents_not_a_string(signed):
    """Signatures whose /Contents is a number, an array, a name, missing, or garbage bytes."""
    variants = [
        generic.NumberObject(42),
        generic.ArrayObject([generic.NumberObject(1)]),
        generic.NameObject("/Rien"),
        None,
        generic.ByteStringObject(b"\x30\x82\xff\xff" + b"\x00" * 64),
    ]
    writer = _writer(signed)
    fields = _acroform(writer)["/Fields"]
    for position, contents in enumerate(variants):
        signature = _copy_of_signature(writer, {"/Contents": contents})
        fields.append(_sig_field(writer, f"Contenu{position}", signature))
    return _written(writer)


def huge_fields_array(signed, count=300_000):
    """/Fields holding ``count`` direct integers (each one a reader warning), then the real fields."""
    writer = _writer(signed)
    fields = _acroform(writer)["/Fields"]
    fields[:0] = [generic.NumberObject(n) for n in range(count)]
    return _written(writer)


# Raw incremental updates, for what pyHanko's writer would refuse or choke on.


def _raw_update(signed, objects, root_extra=b""):
    """Append ``objects`` ({number: body bytes}) and a new catalog with ``root_extra`` entries."""
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    size = int(reader.trailer["/Size"])
    root_ref = reader.root_ref
    root_body = io.BytesIO()
    root = generic.DictionaryObject({key: reader.root.raw_get(key) for key in reader.root})
    root.write_to_stream(root_body, None)
    root_bytes = root_body.getvalue()
    if root_extra:
        root_bytes = root_bytes.rstrip()[:-2] + b" " + root_extra + b" >>"
    objects = {**objects, root_ref.idnum: root_bytes}
    out = bytearray(signed)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        generation = root_ref.generation if number == root_ref.idnum else 0
        out += b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        generation = root_ref.generation if number == root_ref.idnum else 0
        out += b"%d 1\n%010d %05d n \n" % (number, offsets[number], generation)
    new_size = max(size, max(objects) + 1)
    out += b"trailer\n<< /Size %d /Root %d %d R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        new_size,
        root_ref.idnum,
        root_ref.generation,
        reader.last_startxref,
        xref_at,
    )
    return bytes(out)


def _next_number(signed):
    return int(PdfFileReader(io.BytesIO(signed), strict=False).trailer["/Size"])


def deeply_nested_fields(signed, depth=3000):
    """A chain of ``depth`` fields, each the only kid of the previous one, the last a signature."""
    first = _next_number(signed)
    objects = {}
    for level in range(depth):
        number = first + level
        kids = b"/Kids [%d 0 R]" % (number + 1) if level < depth - 1 else b"/FT /Sig /V %d 0 R" % (first + depth)
        objects[number] = b"<< /T (n%d) %s >>" % (level, kids)
    objects[first + depth] = b"<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> >>"
    acroform = b"/AcroForm << /Fields [%d 0 R] >>" % first
    return _raw_update(_without_acroform(signed), objects, acroform)


def deeply_nested_array(signed, depth=100_000):
    """A signature whose /ByteRange is ``depth`` arrays nested in one another."""
    first = _next_number(signed)
    objects = {
        first: b"<< /FT /Sig /T (Gigogne) /V %d 0 R >>" % (first + 1),
        first + 1: b"<< /Type /Sig /ByteRange " + b"[" * depth + b"]" * depth + b" /Contents <00> >>",
    }
    return _raw_update(_without_acroform(signed), objects, b"/AcroForm << /Fields [%d 0 R] >>" % first)


def reference_loop(signed):
    """A signature value and a kid that are indirect references to one another, and a /Kids cycle."""
    first = _next_number(signed)
    objects = {
        first: b"<< /FT /Sig /T (Boucle) /V %d 0 R >>" % (first + 1),
        first + 1: b"%d 0 R" % (first + 2),
        first + 2: b"%d 0 R" % (first + 1),
        first + 3: b"<< /T (Cycle) /Kids [%d 0 R] >>" % (first + 4),
        first + 4: b"<< /T (Retour) /Kids [%d 0 R] >>" % (first + 3),
    }
    acroform = b"/AcroForm << /Fields [%d 0 R %d 0 R] >>" % (first, first + 3)
    return _raw_update(_without_acroform(signed), objects, acroform)


def _without_acroform(signed):
    """The signed PDF whose catalog is rewritten without its form (the raw updates bring their own)."""
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    kept = generic.DictionaryObject({key: reader.root.raw_get(key) for key in reader.root if key != "/AcroForm"})
    body = io.BytesIO()
    kept.write_to_stream(body, None)
    return _raw_update_catalog(signed, body.getvalue())


def _raw_update_catalog(signed, root_bytes):
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    root_ref = reader.root_ref
    out = bytearray(signed)
    if not out.endswith(b"\n"):
        out += b"\n"
    offset = len(out)
    out += b"%d %d obj\n" % (root_ref.idnum, root_ref.generation) + root_bytes + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n%d 1\n%010d %05d n \n" % (root_ref.idnum, offset, root_ref.generation)
    out += b"trailer\n<< /Size %d /Root %d %d R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        int(reader.trailer["/Size"]),
        root_ref.idnum,
        root_ref.generation,
        reader.last_startxref,
        xref_at,
    )
    return bytes(out)


def broken_xref(signed):
    """The last cross-reference table points every object at the wrong offset."""
    start = signed.rindex(b"startxref")
    xref_at = int(signed[start + len(b"startxref") :].split()[0])
    table_end = signed.index(b"trailer", xref_at)
    table = re.sub(rb"\d{10} (\d{5}) n", lambda m: b"0000000017 " + m.group(1) + b" n", signed[xref_at:table_end])
    return signed[:xref_at] + table + signed[table_end:]


def wrong_startxref(signed):
    """startxref points into the middle of a content stream."""
    start = signed.rindex(b"startxref")
    return signed[:start] + b"startxref\n%d\n%%%%EOF\n" % (len(signed) // 3)


def truncated(signed, keep=0.6):
    """The first ``keep`` of the file: no trailer, half a signature."""
    return signed[: int(len(signed) * keep)]


def hostile_uploads(signed):
    """Every hostile file of this module, by name, built from ``signed``."""
    return {
        "400 fields -> 1 signature": fields_sharing_one_signature(signed),
        "200 distinct copies": distinct_copies_of_signature(signed),
        "300,000-entry /Fields": huge_fields_array(signed),
        "malformed /Reference": malformed_references(signed),
        "bad /ByteRange": bad_byte_ranges(signed),
        "/Contents not a string": contents_not_a_string(signed),
        "3,000 nested fields": deeply_nested_fields(signed),
        "100,000 nested arrays": deeply_nested_array(signed),
        "reference loops": reference_loop(signed),
        "broken xref": broken_xref(signed),
        "wrong startxref": wrong_startxref(signed),
        "truncated file": truncated(signed),
    }
