"""Read and check every signature of a PDF with pyHanko, for the verifier and the evidence report.

Nothing here knows about Odoo: the caller gives the bytes and the certificates it trusts, and gets
plain facts back, one per signature, in the order they were applied.
"""

import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext


class PdfUnreadable(ValueError):
    """The bytes are not a PDF pyHanko can read."""


@dataclass
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
    problems: list = field(default_factory=list)

    @property
    def sound(self):
        """Intact, valid, trusted and not followed by changes its author did not allow."""
        return self.intact and self.valid and self.trusted and self.changes_allowed


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


def _fill_certificate(check, certificate):
    check.signer_name = _name_part(certificate, "common_name")
    check.signer_email = _name_part(certificate, "email_address")
    check.issuer_name = certificate.issuer.native.get("common_name", "") or ""
    check.certificate_sha256 = hashlib.sha256(certificate.dump()).hexdigest()


def _check_timestamp(embedded, trust_roots, revision):
    check = SignatureCheck(field_name=embedded.field_name or "", kind="timestamp", revision=revision)
    status = validate_pdf_timestamp(embedded, validation_context=validation_context(trust_roots))
    _fill_certificate(check, status.signing_cert)
    check.intact, check.valid, check.trusted = status.intact, status.valid, status.trusted
    check.timestamp_time = utc_naive(status.timestamp)
    check.timestamp_valid = status.intact and status.valid
    check.coverage = _coverage(status)
    check.changes_allowed = bool(status.docmdp_ok) or check.coverage == "entire_file" or _lta_updates_only(status)
    return check


def _lta_updates_only(status):
    """A document timestamp followed only by validation data and later timestamps: the renewal of a
    PAdES B-LTA file, which every timestamp but the last one sees."""
    level = status.modification_level
    return level is not None and level.value <= ModificationLevel.LTA_UPDATES.value


def _is_certification(embedded):
    """A certification signature carries a DocMDP transform reference (ISO 32000-1, 12.8.2.2)."""
    references = embedded.sig_object.get("/Reference") or ()
    return any(reference.get_object().get("/TransformMethod") == "/DocMDP" for reference in references)


def _check_signature(embedded, trust_roots, revision):
    check = SignatureCheck(
        field_name=embedded.field_name or "",
        kind="certification" if _is_certification(embedded) else "approval",
        revision=revision,
    )
    status = validate_pdf_signature(embedded, signer_validation_context=validation_context(trust_roots))
    if status.timestamp_validity is not None:
        check.timestamp_time = utc_naive(status.timestamp_validity.timestamp)
        check.timestamp_valid = status.timestamp_validity.intact and status.timestamp_validity.valid
    if not status.trusted and check.timestamp_valid and status.intact and status.valid:
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
            check.problems.append("time_not_timestamped")
    _fill_certificate(check, status.signing_cert)
    check.signing_time = utc_naive(status.signer_reported_dt)
    check.intact, check.valid, check.trusted = status.intact, status.valid, status.trusted
    check.coverage = _coverage(status)
    check.changes_allowed = bool(status.docmdp_ok) or check.coverage == "entire_file"
    if status.trust_problem_indic is not None:
        check.problems.append(status.trust_problem_indic.name.lower())
    return check


def check_pdf_signatures(data, trust_roots):
    """Return a SignatureCheck per signature or document timestamp of ``data``, oldest first.

    ``trust_roots`` are asn1crypto certificates. Raises PdfUnreadable when the file cannot be read.
    """
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded_signatures = reader.embedded_signatures
    except Exception as exc:
        raise PdfUnreadable(str(exc)) from exc
    checks = []
    for revision, embedded in enumerate(embedded_signatures, start=1):
        try:
            if embedded.sig_object_type == "/DocTimeStamp":
                checks.append(_check_timestamp(embedded, trust_roots, revision))
            else:
                checks.append(_check_signature(embedded, trust_roots, revision))
        except (ValueError, KeyError) as exc:
            checks.append(
                SignatureCheck(
                    field_name=embedded.field_name or "", kind="approval", revision=revision, problems=[str(exc)]
                )
            )
    return checks
