"""Validation data for long-term signatures (PAdES B-LT and B-LTA, ETSI EN 319 142-1).

A signature must still prove itself when its certificates have expired and their authorities'
servers are gone: the file itself must then hold, for every certificate of every chain (signers,
the seal, every timestamp authority), its issuer and a revocation status (OCSP response or CRL)
obtained while the certificate was valid. This module finds those chains in a PDF and fetches those
statuses with ``requests``, under a timeout; no ORM here.
"""

import io
import itertools
from dataclasses import dataclass

import requests
from asn1crypto import cms, pem
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.pdf_utils.reader import PdfFileReader

DEFAULT_TIMEOUT = 10
MAX_RESPONSE_SIZE = 5 * 1024 * 1024


class RevocationUnavailable(RuntimeError):
    """No declared revocation source of a certificate answered: ``subject`` and ``url`` say which."""

    def __init__(self, subject, url, detail=""):
        super().__init__(subject, url, detail)
        self.subject = subject
        self.url = url
        self.detail = detail


class CertificateRevoked(RuntimeError):
    """A certificate of a chain is revoked: timestamps or signatures under it prove nothing."""

    def __init__(self, subject, revoked_at):
        super().__init__(subject, revoked_at)
        self.subject = subject
        self.revoked_at = revoked_at


@dataclass(frozen=True)
class ValidationData:
    """What the DSS must hold: certificates, CRLs and OCSP responses (asn1crypto objects)."""

    certificates: tuple = ()
    crls: tuple = ()
    ocsps: tuple = ()
    # Certificates that declare no revocation source at all: nothing can be embedded for them.
    undeclared: tuple = ()

    @classmethod
    def union(cls, parts):
        """The data of every one of ``parts``, each item once, in the order first met."""
        values = {}
        for name in ("certificates", "crls", "ocsps", "undeclared"):
            items = {}
            for part in parts:
                for item in getattr(part, name):
                    items.setdefault(item.dump(), item)
            values[name] = tuple(items.values())
        return cls(**values)


def certificate_label(certificate):
    """The common name of a certificate (its whole subject without one), for messages."""
    return certificate.subject.native.get("common_name") or certificate.subject.human_friendly


_subject = certificate_label


def _is_self_signed(certificate):
    return certificate.self_signed in ("yes", "maybe")


def _crypto(certificate):
    return x509.load_der_x509_certificate(certificate.dump())


def find_issuer(certificate, pool):
    """The certificate of ``pool`` that issued ``certificate`` (name and key identifier), or None."""
    candidates = [c for c in pool if c.subject == certificate.issuer and c.dump() != certificate.dump()]
    key_id = certificate.authority_key_identifier
    if key_id is not None:
        matching = [c for c in candidates if c.key_identifier in (None, key_id)]
        candidates = matching or candidates
    for candidate in candidates:
        try:
            _crypto(certificate).verify_directly_issued_by(_crypto(candidate))
        except (ValueError, TypeError, x509.InvalidSignature):
            continue
        return candidate
    return None


def _get(session, url, timeout, **kwargs):
    """The body of a successful answer of ``url``; OSError-like failures raise RevocationUnavailable."""
    method = session.post if "data" in kwargs else session.get
    response = method(url, timeout=timeout, stream=True, **kwargs)
    response.raise_for_status()
    body = response.raw.read(MAX_RESPONSE_SIZE + 1, decode_content=True)
    if len(body) > MAX_RESPONSE_SIZE:
        raise ValueError("response too large")
    return body


def _fetch_issuer(certificate, session, timeout):
    """The issuer named by the certificate's AIA caIssuers address, when it declares one."""
    access = certificate.authority_information_access_value
    for description in access.native if access is not None else ():
        if description["access_method"] != "ca_issuers" or not str(description["access_location"]).startswith("http"):
            continue
        try:
            body = _get(session, description["access_location"], timeout)
        except (requests.RequestException, ValueError):
            continue
        if pem.detect(body):
            body = pem.unarmor(body)[2]
        try:
            return asn1_x509.Certificate.load(body)
        except ValueError:
            try:
                signed = cms.ContentInfo.load(body)["content"]
                return next(iter(c.chosen for c in signed["certificates"]), None)
            except (ValueError, KeyError, TypeError):
                continue
    return None


def _ocsp_status(certificate, issuer, url, session, timeout):
    """An OCSP response for ``certificate`` from ``url``: (asn1 response, revoked time or None)."""
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(_crypto(certificate), _crypto(issuer), hashes.SHA1())  # noqa: S303 - RFC 5019 CertID
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    body = _get(session, url, timeout, data=request, headers={"Content-Type": "application/ocsp-request"})
    response = ocsp.load_der_ocsp_response(body)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise ValueError(f"OCSP status {response.response_status.name}")
    if response.serial_number != certificate.serial_number:
        raise ValueError("OCSP response for another certificate")
    if response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN:
        raise ValueError("OCSP responder does not know the certificate")
    revoked = response.revocation_time_utc if response.certificate_status == ocsp.OCSPCertStatus.REVOKED else None
    return asn1_ocsp.OCSPResponse.load(body), revoked


def _check_crl(body, certificate, issuer):
    """The CRL in ``body`` if ``issuer`` signed it and it is current: (asn1 CRL, revoked time or None)."""
    if pem.detect(body):
        body = pem.unarmor(body)[2]
    revocation_list = x509.load_der_x509_crl(body)
    issuer_crypto = _crypto(issuer)
    if revocation_list.issuer != issuer_crypto.subject or not revocation_list.is_signature_valid(
        issuer_crypto.public_key()
    ):
        raise ValueError("CRL not signed by the issuer")
    revoked = revocation_list.get_revoked_certificate_by_serial_number(certificate.serial_number)
    return asn1_crl.CertificateList.load(body), revoked.revocation_date_utc if revoked else None


def _revocation(certificate, issuer, session, timeout, local_crl):
    """A revocation status of ``certificate``: local CRL first, else OCSP, else the declared CRLs."""
    subject = _subject(certificate)
    local = local_crl(issuer) if local_crl else None
    if local is False:
        return None
    if local is not None:
        found, revoked = _check_crl(local, certificate, issuer)
        return [], [found], revoked
    ocsp_urls = [url for url in certificate.ocsp_urls if url.startswith("http")]
    crl_urls = [
        point.url for point in certificate.crl_distribution_points if point.url and str(point.url).startswith("http")
    ]
    if not ocsp_urls and not crl_urls:
        return None
    failure = None
    for url in ocsp_urls:
        try:
            response, revoked = _ocsp_status(certificate, issuer, url, session, timeout)
            return [response], [], revoked
        except (requests.RequestException, ValueError) as exc:
            failure = (url, str(exc))
    for url in crl_urls:
        try:
            found, revoked = _check_crl(_get(session, url, timeout), certificate, issuer)
            return [], [found], revoked
        except (requests.RequestException, ValueError) as exc:
            failure = (url, str(exc))
    raise RevocationUnavailable(subject, *failure)


def chain(leaf, pool, session=None, timeout=DEFAULT_TIMEOUT):
    """``leaf`` and its issuers up to a self-signed root (or as far as they can be found)."""
    path = [leaf]
    while not _is_self_signed(path[-1]) and len(path) < 10:
        issuer = find_issuer(path[-1], pool)
        if issuer is None and session is not None:
            issuer = _fetch_issuer(path[-1], session, timeout)
        if issuer is None or any(issuer.dump() == known.dump() for known in path):
            break
        path.append(issuer)
    return path


def collect(leaves, pool, local_crl=None, timeout=DEFAULT_TIMEOUT, session=None, cache=None):
    """The validation data of every chain above ``leaves`` (asn1crypto certificates).

    ``pool`` holds the certificates known to build chains; ``local_crl(issuer)`` may return the DER
    CRL of an authority this server runs itself (no need to ask it over HTTP), or False for one whose
    status cannot be given any more. ``cache`` shares the statuses fetched between calls. Raises
    RevocationUnavailable or CertificateRevoked.
    """
    session = session or requests.Session()
    cache = {} if cache is None else cache
    parts = []
    pool = list(pool)
    for leaf in leaves:
        path = chain(leaf, pool, session=session, timeout=timeout)
        parts.append(ValidationData(certificates=tuple(path)))
        for certificate, issuer in itertools.pairwise(path):
            key = (certificate.issuer.dump(), certificate.serial_number)
            if key not in cache:
                cache[key] = _status_data(certificate, issuer, session, timeout, local_crl)
            parts.append(cache[key])
        pool.extend(path)
    return ValidationData.union(parts)


def _status_data(certificate, issuer, session, timeout, local_crl):
    status = _revocation(certificate, issuer, session, timeout, local_crl)
    if status is None:
        return ValidationData(undeclared=(certificate,))
    ocsps, crls, revoked = status
    if revoked is not None:
        raise CertificateRevoked(_subject(certificate), revoked)
    # An OCSP response may be signed by a delegated responder: its certificate goes along.
    responders = [
        certificate
        for response in ocsps
        for certificate in response["response_bytes"]["response"].parsed["certs"] or ()
    ]
    return ValidationData(certificates=tuple(responders), ocsps=tuple(ocsps), crls=tuple(crls))


def signature_certificates(embedded):
    """The signer certificate of a pyHanko embedded signature, with the certificates it carries, and
    those of each of its timestamp tokens: [(leaf, others)]."""
    result = []

    def add(signed_data):
        certificates = [c.chosen for c in signed_data["certificates"] or () if c.name == "certificate"]
        signer_info = signed_data["signer_infos"][0]
        sid = signer_info["sid"]
        leaf = None
        for certificate in certificates:
            if sid.name == "issuer_and_serial_number":
                if (
                    certificate.issuer == sid.chosen["issuer"]
                    and certificate.serial_number == sid.chosen["serial_number"].native
                ):
                    leaf = certificate
            elif certificate.key_identifier == sid.chosen.native:
                leaf = certificate
        if leaf is not None:
            result.append((leaf, certificates))
        for attributes in (signer_info["unsigned_attrs"], signer_info["signed_attrs"]):
            for attribute in attributes if attributes.native else ():
                if attribute["type"].native in ("signature_time_stamp_token", "content_time_stamp"):
                    for token in attribute["values"]:
                        add(token["content"])

    add(embedded.signed_data)
    return result


def pdf_certificates(data):
    """Every (leaf, carried certificates) of every signature and document timestamp of a PDF."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    result = []
    for embedded in reader.embedded_signatures:
        result.extend(signature_certificates(embedded))
    return result
