"""Read and check every signature of a PDF with pyHanko, for the verifier and the evidence report.

Nothing here knows about Odoo: the caller gives the bytes and the certificates it trusts, and gets
plain facts back, one per signature, in the order they were applied.

The public verifier reads files anyone uploads, so reading is bounded: the form tree is walked by
our own loop (depth, size and reference chains bounded, each object read once), at most
``Limits.max_fields`` signature fields and ``Limits.max_signatures`` distinct signatures are read
(several fields pointing at one signature object are read once), the whole check runs under a
time budget, pyHanko's loggers are quieted for the duration, and a malformed structure gives a
per-signature result or ``PdfUnreadable``, never an unexpected exception.
"""

import hashlib
import io
import logging
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import asn1crypto
import pyhanko
import pyhanko_certvalidator
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

_logger = logging.getLogger(__name__)

MiB = 1024 * 1024

# What pyHanko (and asn1crypto beneath it) raise on a structure they cannot read: its own PdfError
# family, ValueError (SignatureValidationError, CMS and DER errors), KeyError (a missing entry),
# IndexError, and RecursionError for nesting deeper than Python's stack.
STRUCTURE_ERRORS = (PdfError, ValueError, KeyError, IndexError, RecursionError)
# Reading the file and its form tree: pyHanko also asserts the type of the catalog and of /V.
READ_ERRORS = (*STRUCTURE_ERRORS, AssertionError)

# The form tree of a PDF: beyond these, the file is refused before anything is validated.
MAX_FORM_ENTRIES = 5000  # entries of /Fields and /Kids arrays, all levels together
MAX_FORM_DEPTH = 32
MAX_REFERENCE_HOPS = 16  # an indirect reference to an indirect reference to ...
MAX_REFERENCE_ENTRIES = 8  # entries of a signature's /Reference array
PASSED_LOG_RECORDS = 3  # pyHanko records let through per check, the rest are counted and dropped

DECODE_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_ratio=1100, max_output_size=64 * MiB),
    document_budget=DocumentDecodeBudget(base_allowance=128 * MiB, max_ratio=50),
)


@dataclass(frozen=True)
class Limits:
    """How much of a file one check may read, and for how long (seconds of wall time, None: no limit)."""

    max_fields: int = 50
    max_signatures: int = 20
    seconds: float = 10.0


VERIFIER_LIMITS = Limits()
# The firm's own documents (evidence report, tests): one signature per signer, plus the seal.
OWN_DOCUMENT_LIMITS = Limits(max_fields=500, max_signatures=200, seconds=None)


class PdfUnreadable(ValueError):
    """The bytes are not a PDF pyHanko can read."""


class TooManySignatures(PdfUnreadable):
    """The file has more signature fields or signatures than one check reads."""


class BudgetExceeded(BaseException):
    """The time budget of a check ran out.

    A BaseException, so that no ``except Exception`` inside pyHanko swallows it.
    """


@dataclass(frozen=True)
class SignatureCheck:
    """What a reader of the PDF can know about one signature."""

    field_name: str
    kind: str  # "approval", "certification" or "timestamp"
    signer_name: str = ""
    signer_email: str = ""
    issuer_name: str = ""
    certificate_sha256: str = ""
    signing_time: datetime | None = None  # naive UTC, as Odoo keeps them
    timestamp_time: datetime | None = None
    timestamp_valid: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage: str = "partial"  # "entire_file", "entire_revision" or "partial"
    changes_allowed: bool = False
    revision: int = 0
    problems: tuple = ()

    @property
    def sound(self):
        """Intact, valid, trusted and not followed by changes its author did not allow."""
        return self.intact and self.valid and self.trusted and self.changes_allowed


@dataclass(frozen=True)
class PdfVerification:
    """The checks of one file, and whether the time budget stopped them before the end."""

    checks: tuple
    found: int = 0  # distinct signatures found in the file
    stopped: bool = False
    seconds: float = 0.0  # the budget that applied


def utc_naive(moment):
    """Odoo keeps datetimes naive in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _name_part(certificate, attribute):
    value = certificate.subject.native.get(attribute)
    if isinstance(value, list):
        value = ", ".join(value)
    return value or ""


def _coverage(status):
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire_file"
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        return "entire_revision"
    return "partial"


def validation_context(trust_roots, crls=(), moment=None):
    """A validation context that never goes to the network: the given roots and lists only."""
    return ValidationContext(
        trust_roots=list(trust_roots),
        crls=list(crls),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


def _certificate_values(certificate):
    """The SignatureCheck values that describe the signing certificate."""
    return {
        "signer_name": _name_part(certificate, "common_name"),
        "signer_email": _name_part(certificate, "email_address"),
        "issuer_name": certificate.issuer.native.get("common_name", "") or "",
        "certificate_sha256": hashlib.sha256(certificate.dump()).hexdigest(),
    }


def _check_timestamp(embedded, trust_roots, revision):
    status = validate_pdf_timestamp(embedded, validation_context=validation_context(trust_roots))
    coverage = _coverage(status)
    return SignatureCheck(
        field_name=embedded.field_name or "",
        kind="timestamp",
        revision=revision,
        **_certificate_values(status.signing_cert),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        timestamp_time=utc_naive(status.timestamp),
        timestamp_valid=status.intact and status.valid,
        coverage=coverage,
        changes_allowed=bool(status.docmdp_ok) or coverage == "entire_file" or _lta_updates_only(status),
    )


def _lta_updates_only(status):
    """A document timestamp followed only by validation data and later timestamps: the renewal of a
    PAdES B-LTA file, which every timestamp but the last one sees."""
    level = status.modification_level
    return level is not None and level.value <= ModificationLevel.LTA_UPDATES.value


def _is_certification(embedded):
    """A certification signature carries a DocMDP transform reference (ISO 32000-1, 12.8.2.2).

    The shape of /Reference was checked by ``_structure_problem`` before.
    """
    references = _resolve(embedded.sig_object.raw_get("/Reference")) if "/Reference" in embedded.sig_object else ()
    return any(_entry(_resolve(reference), "/TransformMethod") == "/DocMDP" for reference in references)


def _check_signature(embedded, trust_roots, revision):
    status = validate_pdf_signature(embedded, signer_validation_context=validation_context(trust_roots))
    timestamp_time, timestamp_valid, problems = None, False, []
    if status.timestamp_validity is not None:
        timestamp_time = utc_naive(status.timestamp_validity.timestamp)
        timestamp_valid = status.timestamp_validity.intact and status.timestamp_validity.valid
    if not status.trusted and timestamp_valid and status.intact and status.valid:
        # The one-shot certificates live minutes: judge them at the time the timestamp proves.
        at_timestamp = validate_pdf_signature(
            embedded,
            signer_validation_context=validation_context(trust_roots, moment=status.timestamp_validity.timestamp),
            ts_validation_context=validation_context(trust_roots),
        )
        if at_timestamp.trusted:
            status = at_timestamp
    elif not status.trusted and status.timestamp_validity is None and status.intact and status.valid:
        # Without a timestamp only the signer's declared time is left: judge the certificate then,
        # and say that this time is not proven.
        at_declared_time = validate_pdf_signature(
            embedded, signer_validation_context=validation_context(trust_roots, moment=status.signer_reported_dt)
        )
        if at_declared_time.trusted:
            status = at_declared_time
            problems.append("time_not_timestamped")
    if status.trust_problem_indic is not None:
        problems.append(status.trust_problem_indic.name.lower())
    coverage = _coverage(status)
    return SignatureCheck(
        field_name=embedded.field_name or "",
        kind="certification" if _is_certification(embedded) else "approval",
        revision=revision,
        **_certificate_values(status.signing_cert),
        signing_time=utc_naive(status.signer_reported_dt),
        timestamp_time=timestamp_time,
        timestamp_valid=timestamp_valid,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=coverage,
        changes_allowed=bool(status.docmdp_ok) or coverage == "entire_file",
        problems=tuple(problems),
    )


# ----------------------------------------------------------------------
# Bounded reading of the form tree and of each signature dictionary
# ----------------------------------------------------------------------


def _resolve(value):
    """The object behind a chain of indirect references, without pyHanko's unbounded recursion."""
    for _hop in range(MAX_REFERENCE_HOPS):
        if not isinstance(value, generic.IndirectObject):
            return value
        reference = value.reference
        value = reference.pdf.get_object(reference) if reference.pdf is not None else generic.NullObject()
    raise PdfUnreadable("indirect references chained too deep")


def _entry(dictionary, key, default=None):
    """``dictionary[key]`` resolved by ``_resolve``, or ``default``."""
    return _resolve(dictionary.raw_get(key)) if key in dictionary else default


def _field_name(value):
    value = _resolve(value)
    return str(value) if isinstance(value, (generic.TextStringObject, generic.ByteStringObject)) else "?"


@dataclass(frozen=True)
class _Signature:
    """One signature object of the file and the fields that point at it."""

    reference: object  # the raw /V of the first field (an IndirectObject)
    field_dict: object
    names: tuple


def _signature_fields(reader, limits):
    """The filled signature fields: ({reference key: _Signature}, [names of fields with a bad /V]).

    Our own iterative walk rather than pyHanko's recursive one, so that a /Kids loop, a chain of
    thousands of kids or a /Fields array of a million numbers costs no more than the bounds below.
    Raises TooManySignatures beyond ``limits`` and PdfUnreadable for a tree too large or too deep.
    """
    acroform = _resolve(reader.root.raw_get("/AcroForm")) if "/AcroForm" in reader.root else None
    if not isinstance(acroform, generic.DictionaryObject) or "/Fields" not in acroform:
        return {}, []
    signatures, malformed = {}, []
    seen, entries, field_count = set(), 0, 0
    pending = [(acroform.raw_get("/Fields"), "", None, 1)]
    while pending:
        kids, parent_name, inherited_type, depth = pending.pop()
        kids = _resolve(kids)
        if not isinstance(kids, generic.ArrayObject):
            continue
        if depth > MAX_FORM_DEPTH:
            raise PdfUnreadable("form tree too deep")
        for entry in kids:
            entries += 1
            if entries > MAX_FORM_ENTRIES:
                raise TooManySignatures("too many form fields")
            if not isinstance(entry, generic.IndirectObject) or entry.reference in seen:
                continue
            seen.add(entry.reference)
            node = _resolve(entry)
            if not isinstance(node, generic.DictionaryObject) or "/T" not in node:
                continue
            name = _field_name(node.raw_get("/T"))
            name = f"{parent_name}.{name}" if parent_name else name
            field_type = _resolve(node.raw_get("/FT")) if "/FT" in node else inherited_type
            if field_type == "/Sig" and "/V" in node:
                value = node.raw_get("/V")
                if isinstance(value, generic.IndirectObject):
                    field_count += 1
                    if field_count > limits.max_fields:
                        raise TooManySignatures(f"more than {limits.max_fields} signature fields")
                    key = (value.reference.idnum, value.reference.generation)
                    if key in signatures:
                        signatures[key] = replace(signatures[key], names=(*signatures[key].names, name))
                    else:
                        if len(signatures) + len(malformed) >= limits.max_signatures:
                            raise TooManySignatures(f"more than {limits.max_signatures} signatures")
                        signatures[key] = _Signature(value, node, (name,))
                elif not isinstance(value, generic.NullObject):
                    if len(signatures) + len(malformed) >= limits.max_signatures:
                        raise TooManySignatures(f"more than {limits.max_signatures} signatures")
                    malformed.append(name)
            if "/Kids" in node:
                pending.append((node.raw_get("/Kids"), name, field_type, depth + 1))
    return signatures, malformed


def _is_int(value):
    return isinstance(value, generic.NumberObject) and not isinstance(value, bool)


def _structure_problem(sig_object, size):
    """Why this signature dictionary cannot be handed to pyHanko (a short reason), or None.

    pyHanko trusts the types of these entries; a wrong one makes it raise TypeError or worse.
    """
    if not isinstance(sig_object, generic.DictionaryObject):
        return "signature is not a dictionary"
    if _entry(sig_object, "/Type", "/Sig") not in ("/Sig", "/DocTimeStamp"):
        return "unknown signature type"
    byte_range = _entry(sig_object, "/ByteRange")
    if not isinstance(byte_range, generic.ArrayObject) or len(byte_range) != 4:
        return "/ByteRange is not four numbers"
    if not all(_is_int(item) and item >= 0 for item in byte_range):
        return "/ByteRange is not four non-negative integers"
    start, first_length, second_start, second_length = (int(item) for item in byte_range)
    if start + first_length > second_start or second_start + second_length > size:
        return "/ByteRange points outside the file"
    contents = sig_object.raw_get("/Contents") if "/Contents" in sig_object else None
    if not isinstance(contents, (generic.ByteStringObject, generic.TextStringObject)):
        return "/Contents is not a string"
    if "/Reference" in sig_object:
        return _reference_problem(_entry(sig_object, "/Reference"))
    return None


def _reference_problem(references):
    """Check the DocMDP/FieldMDP transform references (ISO 32000-1, table 253) as pyHanko reads them."""
    if not isinstance(references, generic.ArrayObject) or len(references) > MAX_REFERENCE_ENTRIES:
        return "/Reference is not a short array"
    for reference in references:
        reference = _resolve(reference)
        if not isinstance(reference, generic.DictionaryObject):
            return "/Reference entry is not a dictionary"
        method = _entry(reference, "/TransformMethod")
        if not isinstance(method, generic.NameObject):
            return "/TransformMethod is not a name"
        if method not in ("/DocMDP", "/FieldMDP"):
            continue
        params = _entry(reference, "/TransformParams")
        if not isinstance(params, generic.DictionaryObject):
            return "/TransformParams is not a dictionary"
        if method == "/DocMDP":
            permission = _entry(params, "/P", generic.NumberObject(2))
            if not _is_int(permission) or int(permission) not in {perm.value for perm in MDPPerm}:
                return "/P is not a DocMDP permission"
        else:
            action = _entry(params, "/Action")
            if action not in ("/All", "/Include", "/Exclude"):
                return "/Action is not a FieldMDP action"
            names = _entry(params, "/Fields", generic.ArrayObject())
            if not isinstance(names, generic.ArrayObject) or not all(
                isinstance(_resolve(name), (generic.TextStringObject, generic.ByteStringObject)) for name in names
            ):
                return "/Fields is not a list of field names"
    return None


# ----------------------------------------------------------------------
# Time budget and quiet logs
# ----------------------------------------------------------------------


def _package_folders(package):
    """The folders of a package, namespace packages included (pyHanko is one)."""
    return tuple(os.path.join(os.path.abspath(path), "") for path in package.__path__)


# Where the time budget may interrupt: entering a function of the PDF and CMS readers (or of this
# module), never the standard library, whose ``finally: lock.release()`` must run.
INTERRUPTIBLE = (
    *_package_folders(pyhanko),
    *_package_folders(pyhanko_certvalidator),
    *_package_folders(asn1crypto),
    os.path.abspath(__file__),
)


class _Deadline:
    """Raise BudgetExceeded in the checking thread once ``seconds`` have passed.

    The check is CPU-bound pyHanko code with no hook to stop it, so for the duration a trace
    function of this thread only (``sys.settrace``) looks at the clock on every Python call and,
    past the deadline, raises at the entry of the next pyHanko, certvalidator or asn1crypto
    function: synchronously, in the checking thread, and never in the standard library (a logging
    handler's ``finally: self.release()`` must run), so no lock is left held. The previous trace
    function (a debugger's, coverage's) is put back on exit. Between signatures, ``expired`` lets
    the loop stop first.
    """

    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds if seconds else None
        self._previous = None

    @property
    def expired(self):
        return self.deadline is not None and time.monotonic() >= self.deadline

    def __enter__(self):
        if self.deadline is not None:
            deadline, clock = self.deadline, time.monotonic

            def trace(frame, event, arg):
                if clock() >= deadline and frame.f_code.co_filename.startswith(INTERRUPTIBLE):
                    raise BudgetExceeded
                return None

            self._previous = sys.gettrace()
            sys.settrace(trace)
        return self

    def __exit__(self, *exc_info):
        if self.deadline is not None:
            sys.settrace(self._previous)
        return False


class _QuietFilter(logging.Filter):
    """Let the first few records of one thread through (one line each), count and drop the rest."""

    def __init__(self):
        super().__init__()
        self.thread_id = threading.get_ident()
        self.passed = 0
        self.dropped = 0

    def filter(self, record):
        if record.thread != self.thread_id:
            return True
        if self.passed < PASSED_LOG_RECORDS:
            self.passed += 1
            record.exc_info = record.exc_text = record.stack_info = None
            return True
        self.dropped += 1
        return False


@contextmanager
def _quiet_pyhanko_logs():
    """Attach a _QuietFilter to every pyHanko and certvalidator logger for the duration only.

    A logger's filters see the records logged on that very logger (not those of its children),
    hence one attachment per logger.
    """
    quiet = _QuietFilter()
    loggers = [
        logger
        for name, logger in list(logging.Logger.manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and name.startswith("pyhanko")
    ]
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield quiet
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)
        if quiet.dropped:
            _logger.info("Reading one PDF: %d further pyHanko messages dropped.", quiet.dropped)


# ----------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------


def _read(data):
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=DECODE_LIMITS)
        if not isinstance(reader.root, generic.DictionaryObject):  # parsed lazily: a broken trailer fails here
            raise PdfUnreadable("no document catalog")
        return reader
    except READ_ERRORS as exc:
        raise PdfUnreadable(str(exc)) from exc


SUBFILTERS = {subfilter.value for subfilter in SigSeedSubFilter}


def _embedded(reader, signature, size):
    """The EmbeddedPdfSignature of one signature object, or the reason it cannot be read."""
    sig_object = _resolve(signature.reference)
    problem = _structure_problem(sig_object, size)
    if problem:
        return None, problem
    if _entry(sig_object, "/SubFilter") not in SUBFILTERS:
        return None, "unsupported /SubFilter"
    return EmbeddedPdfSignature(reader, signature.field_dict, signature.names[0]), None


def _check_one(embedded, name, trust_roots, revision, unexpected):
    try:
        if embedded.sig_object_type == "/DocTimeStamp":
            return _check_timestamp(embedded, trust_roots, revision)
        return _check_signature(embedded, trust_roots, revision)
    except STRUCTURE_ERRORS as exc:
        _logger.debug("Signature %s of a PDF has an invalid structure: %s", name, exc)
        return SignatureCheck(field_name=name, kind="approval", revision=revision, problems=("invalid_structure",))
    except Exception as exc:  # noqa: BLE001 - any other failure of pyHanko: this one is not checked
        unexpected.append(exc)
        return SignatureCheck(field_name=name, kind="approval", revision=revision, problems=("not_checked",))


def _form_signatures(reader, limits):
    """The signatures of the form tree and the fields with a bad /V (see _signature_fields)."""
    try:
        return _signature_fields(reader, limits)
    except TooManySignatures:
        raise
    except READ_ERRORS as exc:
        raise PdfUnreadable(str(exc)) from exc


def _checks(reader, size, signatures, malformed, trust_roots, deadline, unexpected):
    """One SignatureCheck per signature, oldest first, the unreadable ones last: yielded one by one,
    so that those checked before the time budget ran out are kept."""
    readable, broken = [], [(name, "signature value is not an indirect reference") for name in malformed]
    for signature in signatures.values():
        try:
            embedded, problem = _embedded(reader, signature, size)
        except READ_ERRORS as exc:
            embedded, problem = None, str(exc) or type(exc).__name__
        if embedded is None:
            broken.append((signature.names[0], problem))
        else:
            readable.append((embedded, signature))
    readable.sort(key=lambda pair: pair[0].signed_revision)
    for revision, (embedded, signature) in enumerate(readable, start=1):
        if deadline.expired:
            raise BudgetExceeded
        check = _check_one(embedded, signature.names[0], trust_roots, revision, unexpected)
        if len(signature.names) > 1:
            check = replace(check, problems=(*check.problems, "shared_signature"))
        yield check
    for revision, (name, problem) in enumerate(broken, start=len(readable) + 1):
        _logger.debug("Signature %s of a PDF has an invalid structure: %s", name, problem)
        problems = ("not_checked",) if problem == "unsupported /SubFilter" else ("invalid_structure",)
        yield SignatureCheck(field_name=name, kind="approval", revision=revision, problems=problems)


def verify_pdf(data, trust_roots, limits=VERIFIER_LIMITS):
    """Check every signature and document timestamp of ``data`` within ``limits``: a PdfVerification.

    ``trust_roots`` are asn1crypto certificates. Raises PdfUnreadable when the file cannot be read,
    TooManySignatures (a PdfUnreadable) when it has more signatures than ``limits`` allow. When the
    time budget runs out, the result holds the signatures checked so far and ``stopped`` is set.
    """
    trust_roots = list(trust_roots)
    checks, unexpected, found, stopped = [], [], 0, False
    with _quiet_pyhanko_logs():
        try:
            with _Deadline(limits.seconds) as deadline:
                reader = _read(data)
                signatures, malformed = _form_signatures(reader, limits)
                found = len(signatures) + len(malformed)
                for check in _checks(reader, len(data), signatures, malformed, trust_roots, deadline, unexpected):
                    checks.append(check)
        except BudgetExceeded:
            stopped = True
        except PdfUnreadable:
            raise
        except Exception as exc:  # whatever else breaks the reading: the file is unreadable
            _logger.warning("A PDF could not be read: %s: %s", type(exc).__name__, exc)
            raise PdfUnreadable(str(exc)) from exc
    if stopped:
        _logger.info(
            "Checking a PDF stopped after %s s: %d of %d signatures checked.", limits.seconds, len(checks), found
        )
    if unexpected:
        _logger.warning(
            "%d signature(s) of a PDF could not be checked: %s: %s",
            len(unexpected),
            type(unexpected[0]).__name__,
            unexpected[0],
        )
    return PdfVerification(checks=tuple(checks), found=found, stopped=stopped, seconds=limits.seconds)


def check_pdf_signatures(data, trust_roots, limits=OWN_DOCUMENT_LIMITS):
    """Return a SignatureCheck per signature or document timestamp of ``data``, oldest first.

    ``trust_roots`` are asn1crypto certificates. Raises PdfUnreadable when the file cannot be read.
    The default limits suit the firm's own documents; the verifier calls ``verify_pdf``.
    """
    return verify_pdf(data, trust_roots, limits).checks
