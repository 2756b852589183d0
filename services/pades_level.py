"""The PAdES baseline level of a PDF's signatures (ETSI EN 319 142-1), from what the file holds.

- B-B: a PAdES signature (ETSI.CAdES.detached) naming its signing certificate (signing-certificate-v2);
- B-T: plus a proof of time: a signature timestamp, or a document timestamp after it;
- B-LT: plus, in the document security store (DSS), the issuer of every certificate of every chain
  (the signer's and its timestamps') and its revocation status (OCSP response or CRL), for every
  certificate that declares a revocation source;
- B-LTA: plus a document timestamp over that validation data.

Trust is not part of the level: whether the roots are trusted is the verifier's business. No ORM here.
"""

import io
from dataclasses import dataclass

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError

from . import ltv

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
# What the seal must never leave behind: missing or revoked validation data, no archive timestamp.
LONG_TERM_PROBLEMS = ("no_timestamp", "no_issuer", "no_revocation_data", "revoked", "no_archive_timestamp")
PADES_SUBFILTER = "/ETSI.CAdES.detached"


@dataclass(frozen=True)
class LevelReport:
    """The level the whole document reaches (the lowest of its signatures), each signature's as
    (field name, level) pairs, and what is missing for the next level: (code, detail) pairs with
    code one of ``not_pades``, ``no_signing_certificate``, ``no_timestamp``, ``no_issuer``,
    ``no_revocation_data``, ``revoked``, ``no_archive_timestamp``, ``no_signature``."""

    level: str = ""
    signatures: tuple = ()
    missing: tuple = ()


@dataclass
class _Store:
    certificates: list
    revoked_serials: dict  # (issuer dump, serial) -> True when revoked, False when known good

    def status(self, certificate):
        return self.revoked_serials.get((certificate.issuer.dump(), certificate.serial_number))


def _read_store(handler):
    try:
        dss = DocumentSecurityStore.read_dss(handler)
    except (NoDSSFoundError, ValueError, KeyError, TypeError):
        return _Store([], {})
    certificates = list(dss.load_certs())
    statuses = {}
    for ref in dss.crls:
        try:
            revocation_list = asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
            issuer = revocation_list["tbs_cert_list"]["issuer"]
            entries = revocation_list["tbs_cert_list"]["revoked_certificates"] or ()
            revoked = {entry["user_certificate"].native for entry in entries}
        except (ValueError, KeyError, TypeError):
            continue
        # A CRL speaks of every serial of its issuer: record it under the issuer, serials looked up later.
        statuses[(issuer.dump(), None)] = statuses.get((issuer.dump(), None), set()) | revoked
    for ref in dss.ocsps:
        try:
            response = asn1_ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            if response["response_status"].native != "successful":
                continue
            basic = response["response_bytes"]["response"].parsed
            for single in basic["tbs_response_data"]["responses"]:
                serial = single["cert_id"]["serial_number"].native
                statuses[("ocsp", serial)] = single["cert_status"].name == "revoked"
        except (ValueError, KeyError, TypeError):
            continue
    return _Store(certificates, statuses)


def _certificate_status(certificate, issuer, store):
    """'good', 'revoked' or None (no revocation data in the store)."""
    by_ocsp = store.revoked_serials.get(("ocsp", certificate.serial_number))
    if by_ocsp is not None:
        return "revoked" if by_ocsp else "good"
    revoked = store.revoked_serials.get((certificate.issuer.dump(), None))
    if revoked is not None:
        return "revoked" if certificate.serial_number in revoked else "good"
    return None


def _declares_revocation(certificate):
    return bool(certificate.ocsp_urls or [p for p in certificate.crl_distribution_points if p.url])


def _chains_problems(pairs, store):
    """What the store lacks for the chains of ``pairs`` [(leaf, carried certificates)]."""
    problems = []
    for leaf, carried in pairs:
        pool = [*carried, *store.certificates]
        certificate = leaf
        for _depth in range(10):
            if ltv._is_self_signed(certificate):
                break
            issuer = ltv.find_issuer(certificate, pool)
            if issuer is None:
                problems.append(("no_issuer", ltv.certificate_label(certificate)))
                break
            if _declares_revocation(certificate):
                status = _certificate_status(certificate, issuer, store)
                if status is None:
                    problems.append(("no_revocation_data", ltv.certificate_label(certificate)))
                elif status == "revoked":
                    problems.append(("revoked", ltv.certificate_label(certificate)))
            certificate = issuer
    return list(dict.fromkeys(problems))


def _signing_certificate_declared(embedded):
    attributes = embedded.signer_info["signed_attrs"]
    names = ("signing_certificate_v2", "signing_certificate")
    return any(attribute["type"].native in names for attribute in attributes)


def _has_signature_timestamp(embedded):
    attributes = embedded.signer_info["unsigned_attrs"]
    return bool(attributes.native) and any(
        attribute["type"].native == "signature_time_stamp_token" for attribute in attributes
    )


def signature_label(embedded, number):
    """How a person names a signature: its rank in the file and who made it, not its field name."""
    try:
        signer = embedded.signer_cert.subject.native.get("common_name")
    except (AttributeError, ValueError, KeyError):
        signer = None
    return f"n° {number} ({signer})" if signer else f"n° {number}"


def _signature_level(embedded, timestamps, reader, final_store, missing, name):
    """B-B, B-T, B-LT or B-LTA for one signature, its format aside; appends what it lacks to ``missing``."""
    later_timestamps = [ts for ts in timestamps if ts.signed_revision > embedded.signed_revision]
    if not (_has_signature_timestamp(embedded) or later_timestamps):
        missing.append(("no_timestamp", name))
        return "B-B"
    own = ltv.signature_certificates(embedded)
    stamps = {id(ts): ltv.signature_certificates(ts) for ts in later_timestamps}
    problems = _chains_problems(own + [p for ts in later_timestamps for p in stamps[id(ts)]], final_store)
    if problems:
        missing.extend(problems)
        return "B-T"
    # B-LTA: a document timestamp whose revision already holds that validation data.
    for timestamp in later_timestamps:
        store = _read_store(reader.get_historical_resolver(timestamp.signed_revision))
        upto = [ts for ts in later_timestamps if ts.signed_revision <= timestamp.signed_revision]
        if not _chains_problems(own + [pair for ts in upto for pair in stamps[id(ts)]], store):
            return "B-LTA"
    missing.append(("no_archive_timestamp", name))
    return "B-LT"


def pades_level(data):
    """The LevelReport of the PDF ``data``; raises ValueError when it cannot be read."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    embedded_signatures = reader.embedded_signatures
    signatures = [e for e in embedded_signatures if e.sig_object_type != "/DocTimeStamp"]
    timestamps = [e for e in embedded_signatures if e.sig_object_type == "/DocTimeStamp"]
    if not signatures:
        return LevelReport(missing=(("no_signature", ""),))
    final_store = _read_store(reader)
    levels, missing = {}, []
    for number, embedded in enumerate(signatures, start=1):
        name = embedded.field_name or ""
        label = signature_label(embedded, number)
        level = _signature_level(embedded, timestamps, reader, final_store, missing, label)
        # A signature in another format still gets its validation data checked, but has no PAdES level.
        if embedded.sig_object.get("/SubFilter") != PADES_SUBFILTER:
            missing.append(("not_pades", label))
            level = ""
        elif not _signing_certificate_declared(embedded):
            missing.append(("no_signing_certificate", label))
            level = ""
        levels[name] = level
    return LevelReport(
        level="" if "" in levels.values() else min(levels.values(), key=LEVELS.index),
        signatures=tuple(levels.items()),
        missing=tuple(dict.fromkeys(missing)),
    )
