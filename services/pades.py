"""PAdES signatures with pyHanko: the certification that lays out every field, the incremental
signatures, the locking seal with its long-term validation data, the archive timestamp renewal.

No ORM here. Every signature is an incremental update, so the earlier ones stay valid. The firm
certifies each document at launch, creating every visible field (one per signer, one for the seal)
and the signature page: any change to page content after a signature would break it. A document
signed elsewhere first cannot be certified: its fields come with the first signature we add.
The timestamp client is in timestamp_client, what a stamp shows in stamp_appearance.
"""

import io
import logging
from dataclasses import dataclass, field

from asn1crypto import cms, tsp
from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from requests import Session

from . import ltv, stamp_layout
from .pki import certificate_der, private_key_der, to_asn1
from .stamp_appearance import Stamp, latin_text
from .timestamp_client import TimestampUnavailable, is_timestamp_failure, token_size

SEAL_FIELD = "esign_seal"
CERTIFICATION_FIELD = "esign_certification"
SIGNER_FIELD = "esign_signer_%s"
TIMESTAMP_FIELD = "esign_archive_timestamp"
STAMP_GAP = stamp_layout.STAMP_GAP
PAGE_MARGIN = 30
# What a signature container holds besides its certificates, timestamp token, issuer names and
# signature value (signed attributes, algorithm identifiers, structure): 322 bytes in the addon's
# containers, B-B or B-T alike, bounded.
CMS_OVERHEAD = 512


class SigningRefused(ValueError):
    """The document cannot take this signature; ``reason`` is one of REASONS.

    ``uncertified``: the document carries no signature, so not the firm's certification either;
    certification happens at launch only (certify_pdf), never with a signer's signature.
    """

    REASONS = ("sealed", "locked", "unreadable", "uncertified")

    def __init__(self, reason, detail=""):
        assert reason in self.REASONS
        super().__init__(reason, detail)
        self.reason = reason


class ValidationDataIncomplete(RuntimeError):
    """pyHanko could not build a chain with revocation data for a certificate of the seal."""


@dataclass(frozen=True)
class LongTermSettings:
    """What the seal needs to embed complete validation data (B-LT) before its document timestamp.

    ``trust_roots`` are the roots the firm trusts (its CA, its seal's chain, its timestamp
    authorities); ``certificates`` other known certificates (the TSA's chain); ``local_crl(issuer)``
    gives the CRL of an authority this server runs (see ltv.collect).
    """

    trust_roots: tuple
    certificates: tuple = ()
    local_crl: object = None
    timeout: float = ltv.DEFAULT_TIMEOUT


@dataclass(frozen=True)
class FieldPlace:
    """A signature field to create: its name, its tooltip and, when the layout chose it, its page
    (from 0) and box; without a box it takes its slot along the bottom of the last page."""

    name: str
    label: str
    page: int = None
    box: tuple = None

    def __post_init__(self):
        if not self.name:
            raise ValueError("A signature field needs a name.")
        if self.page is not None and (not isinstance(self.page, int) or self.page < 0):
            raise ValueError(f"Page {self.page!r} of field {self.name} is not a page number from 0.")
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            if not (x0 < x1 and y0 < y1):
                raise ValueError(f"The box {self.box!r} of field {self.name} is empty.")
            object.__setattr__(self, "box", tuple(self.box))


def _places(places):
    places = tuple(places)
    if not all(isinstance(place, FieldPlace) for place in places):
        raise TypeError("Signature fields are given as FieldPlace.")
    names = [place.name for place in places]
    if len(set(names)) != len(names):
        raise ValueError("Two signature fields have the same name.")
    return places


@dataclass(frozen=True)
class FieldLayout:
    """Every signature field the firm lays out on a document when it certifies it, and the
    signature page appended first when some of them go there."""

    places: tuple
    signature_page: stamp_layout.SignaturePage | None = None

    def __post_init__(self):
        object.__setattr__(self, "places", _places(self.places))


@dataclass(frozen=True)
class SignatureSpec:
    """One visible signature: the field it fills, its stamp and the signer's name in the signature
    dictionary. ``places`` are the fields a document signed elsewhere gets with this signature (a
    certified one holds them all already)."""

    field_name: str
    stamp: Stamp
    signer_name: str | None = None
    places: tuple = field(default=())

    def __post_init__(self):
        if not self.field_name:
            raise ValueError("A signature needs the name of its field.")
        if not isinstance(self.stamp, Stamp):
            raise TypeError("The stamp of a signature is a Stamp.")
        object.__setattr__(self, "places", _places(self.places))


@dataclass(frozen=True)
class _FormFields:
    """The signature fields of a document: every name, and those already signed."""

    names: frozenset
    signed: frozenset


def stamp_boxes(page_width, page_height, count):
    """``count`` non-overlapping boxes along the bottom of a page, left to right then upwards."""
    width, height = stamp_layout.STAMP_WIDTH, stamp_layout.STAMP_HEIGHT
    columns = max(1, int((page_width - 2 * PAGE_MARGIN + STAMP_GAP) // (width + STAMP_GAP)))
    boxes = []
    for index in range(count):
        row, column = divmod(index, columns)
        x = PAGE_MARGIN + column * (width + STAMP_GAP)
        y = PAGE_MARGIN + row * (height + STAMP_GAP)
        if y + height > page_height:
            y = PAGE_MARGIN
        boxes.append((int(x), int(y), int(x + width), int(y + height)))
    return boxes


class _EncodedSigningCertificate(attributes.SigningCertificateV2Provider):
    """The signing-certificate-v2 attribute, encoded once. asn1crypto encodes a value built in
    Python again each time a parent reads it: nested in the signed attributes, that value cost 6 ms
    each of the two times pyHanko builds them per signature; loaded from its encoding, 0.4 ms."""

    def __init__(self, signing_cert):
        super().__init__(signing_cert)
        self._value = tsp.SigningCertificateV2.load(as_signing_certificate_v2(signing_cert).dump())

    async def build_attr_value(self, dry_run=False):
        return self._value


class _PadesSignedAttributes(SignedAttributeProviderSpec):
    """What the addon's PAdES signatures sign besides the content type and the digest: the signing
    certificate only (the signing time is the timestamp's, ETSI EN 319 142-1; no CAdES extras)."""

    def __init__(self, signing_cert):
        self._signing_certificate = _EncodedSigningCertificate(signing_cert)

    def signed_attr_providers(self, data_digest, digest_algorithm):
        yield self._signing_certificate


class _Signer(signers.SimpleSigner):
    """pyHanko's signer over an in-memory key, its signed attributes kept as encoded once.

    asn1crypto encodes again a structure built in Python each time it is read: pyHanko reads the
    signed attributes a dozen times while it assembles the container, a tenth of a signature's time.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.signed_attr_prov_spec = _PadesSignedAttributes(self.signing_cert)

    async def signed_attrs(self, *args, **kwargs):
        signed = await super().signed_attrs(*args, **kwargs)
        return cms.CMSAttributes.load(signed.dump())


def make_signer(credential):
    """A pyHanko signer over an in-memory key; the key object is dropped with it."""
    return _Signer(
        signing_cert=to_asn1(credential.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(private_key_der(credential.key)),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(cert) for cert in credential.chain]),
    )


class _CollectedValidationData(logging.Filter):
    """pyHanko warns when it embeds validation data without fetching it: here it was fetched beforehand."""

    def filter(self, record):
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_CollectedValidationData())


def _docmdp_permission(signature, form_field):
    """The modification policy a signature sets: its DocMDP transform (a certification), else its
    field's lock dictionary; read from the dictionaries, its container is not parsed."""
    for reference in signature.get("/Reference", ()):
        reference = reference.get_object()
        if reference.get("/TransformMethod") == "/DocMDP":
            return fields.MDPPerm(reference["/TransformParams"].get("/P", 2))
    lock = form_field.get("/Lock")
    return fields.MDPPerm(lock["/P"]) if lock is not None and "/P" in lock else None


def check_signable(data):
    """(pyHanko reader, _FormFields) of ``data``; SigningRefused when the addon must not add a
    signature to it. One reader serves the whole signature: what it parsed is parsed once."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        names, signed = set(), set()
        for name, value, field_ref in fields.enumerate_sig_fields(reader):
            names.add(name)
            if value is None:
                continue
            signed.add(name)
            if name == SEAL_FIELD:
                raise SigningRefused("sealed")
            if _docmdp_permission(value.get_object(), field_ref.get_object()) == fields.MDPPerm.NO_CHANGES:
                raise SigningRefused("locked")
    except SigningRefused:
        raise
    except Exception as exc:
        raise SigningRefused("unreadable", str(exc)) from exc
    return reader, _FormFields(frozenset(names), frozenset(signed))


def is_signed(data):
    """Whether ``data`` already carries a signature (then no page may be added to it)."""
    return bool(check_signable(data)[1].signed)


def _legacy_boxes(writer, places, page_count):
    """Fields laid out before placements existed: along the bottom of the last page."""
    page_ref = writer.find_page_for_modification(page_count - 1)[0]
    media_box = page_ref.get_object()["/MediaBox"]
    width = float(media_box[2]) - float(media_box[0])
    height = float(media_box[3]) - float(media_box[1])
    return stamp_boxes(width, height, len(places))


def _add_fields(writer, places, existing, signature_page=None):
    """Create the fields of ``places`` not in ``existing``, each at its place (appending the signature
    page first when a field goes there)."""
    if all(place.name in existing for place in places):
        return
    page_count = int(writer.root["/Pages"]["/Count"])
    if signature_page is not None and page_count == signature_page.index:
        stamp_layout.append_signature_page(writer, signature_page)
        page_count += 1
    legacy = iter(_legacy_boxes(writer, places, page_count)) if any(p.box is None for p in places) else None
    for place in places:
        box = next(legacy) if place.box is None else place.box
        on_page = page_count - 1 if place.page is None or place.box is None else place.page
        if place.name in existing or on_page >= page_count:
            continue
        seal = place.name == SEAL_FIELD
        fields.append_signature_field(
            writer,
            fields.SigFieldSpec(
                place.name,
                on_page=on_page,
                box=box,
                readable_field_name=latin_text(place.label),
                field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if seal else None,
                doc_mdp_update_value=fields.MDPPerm.NO_CHANGES if seal else None,
            ),
        )


def _required_key_usage(certificate):
    """The key usage the validation of our own signature demands: what the certificate declares.

    A seal certificate from a provider may carry non-repudiation only; the addon's carry both.
    """
    usages = [ext.value for ext in certificate.extensions if isinstance(ext.value, x509.KeyUsage)]
    if usages and not usages[0].digital_signature and usages[0].content_commitment:
        return {"non_repudiation"}
    return {"digital_signature"}


def _bytes_reserved(credential, timestamper):
    """Room for the signature container, hex-encoded in the PDF: the certificates it carries, the
    timestamp token (sized once per authority), the issuer's name (twice), the signature value, the
    rest (CMS_OVERHEAD), and an eighth more.

    It spares pyHanko the trial signature it would otherwise make to size each signature, and keeps
    the container small: each later signature reads it again, one hex digit at a time.
    """
    certificate = credential.certificate
    size = CMS_OVERHEAD + sum(len(certificate_der(cert)) for cert in (certificate, *credential.chain))
    size += 2 * len(certificate.issuer.public_bytes(serialization.Encoding.DER))
    size += 2 * ((getattr(credential.key, "key_size", 4096) + 7) // 8) + 16
    if timestamper is not None:
        size += token_size(timestamper)
    return 2 * (size + size // 8)


def _run(pdf_signer, writer, timestamper, reserve_for=None, **kwargs):
    """Sign in place: the new revision is appended to the stream read, the document is not copied.
    With ``reserve_for`` (the signer's credential), the container's room is sized by _bytes_reserved."""
    try:
        if reserve_for is not None:
            kwargs["bytes_reserved"] = _bytes_reserved(reserve_for, timestamper)
        return pdf_signer.sign_pdf(writer, in_place=True, **kwargs).getvalue()
    except Exception as exc:
        if timestamper is not None and is_timestamp_failure(exc):
            raise TimestampUnavailable(str(exc)) from exc
        raise


def certify_pdf(data, credential, layout, timestamper=None):
    """The firm's certification of ``data`` by ``credential``, every field of ``layout`` (FieldLayout)
    laid out (and its signature page appended): then only form filling and signing are allowed.
    None when the document already carries a signature (signed elsewhere: a certification must
    come first).

    Raises SigningRefused or TimestampUnavailable.
    """
    reader, form = check_signable(data)
    if form.signed:
        return None
    writer = IncrementalPdfFileWriter.from_reader(reader)
    _add_fields(writer, layout.places, form.names, layout.signature_page)
    metadata = signers.PdfSignatureMetadata(
        field_name=CERTIFICATION_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        make_signer(credential),
        timestamper=timestamper,
        new_field_spec=fields.SigFieldSpec(CERTIFICATION_FIELD),
    )
    return _run(pdf_signer, writer, timestamper, reserve_for=credential)


def sign_pdf(data, credential, spec, timestamper=None, long_term=None):
    """Add the visible PAdES signature ``spec`` (SignatureSpec) of ``credential``; return the new bytes.

    The document must carry a signature already: the firm's certification, or one made elsewhere
    (then the fields of ``spec.places`` it lacks are created now). With ``long_term``
    (LongTermSettings), the revocation data of every chain of the document, of ``credential`` and
    of the timestamp authority are fetched first and embedded (with a VRI per earlier signature),
    and with a timestamper a document timestamp follows (B-LTA).
    Raises SigningRefused, TimestampUnavailable, ltv.RevocationUnavailable, ltv.CertificateRevoked
    or ValidationDataIncomplete.
    """
    reader, form = check_signable(data)
    if not form.signed:
        raise SigningRefused("uncertified")
    writer = IncrementalPdfFileWriter.from_reader(reader)
    _add_fields(writer, spec.places, form.names)
    validation_context = None
    if long_term is not None:
        validation_context = _embed_long_term_data(reader, writer, credential, long_term)
    metadata = signers.PdfSignatureMetadata(
        field_name=spec.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=spec.signer_name,
        embed_validation_info=validation_context is not None,
        validation_context=validation_context,
        use_pades_lta=bool(timestamper and validation_context is not None),
        timestamp_field_name=TIMESTAMP_FIELD,
        signer_key_usage=_required_key_usage(credential.certificate),
        docmdp_permissions=fields.MDPPerm.NO_CHANGES if spec.field_name == SEAL_FIELD else fields.MDPPerm.FILL_FORMS,
        # The validation data of the document timestamp goes before it, so it covers the whole file.
        dss_settings=DSSContentSettings(
            next_ts_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False)
        ),
    )
    pdf_signer = signers.PdfSigner(
        metadata, make_signer(credential), timestamper=timestamper, stamp_style=spec.stamp.style()
    )
    # The seal's container also carries validation data: pyHanko sizes that one itself.
    try:
        return _run(
            pdf_signer,
            writer,
            timestamper,
            reserve_for=credential if validation_context is None else None,
            existing_fields_only=True,
            appearance_text_params={"text": spec.stamp.lines},
        )
    except (PathError, ValidationError) as exc:
        raise ValidationDataIncomplete(str(exc)) from exc


def _embed_long_term_data(reader, writer, credential, long_term, vri=True):
    """Fetch the revocation data of every chain and write it in the DSS of ``writer``; return the
    validation context (no network, revocation required where declared) the seal validates with.

    ``credential`` (the seal's, or None) and the authority's certificates are covered too: the
    signature and the timestamps that follow carry them. With ``vri``, each signature gets its VRI
    entry (never to be changed afterwards: validators take a changed VRI for a tampering)."""
    session, cache = Session(), {}
    own = [to_asn1(credential.certificate)] if credential else []
    chain_of_credential = [to_asn1(c) for c in credential.chain] if credential else []
    pool = [*long_term.trust_roots, *long_term.certificates, *chain_of_credential]
    collected = []

    def collect(leaves, carried=()):
        found = ltv.collect(
            leaves,
            [*carried, *pool],
            local_crl=long_term.local_crl,
            timeout=long_term.timeout,
            session=session,
            cache=cache,
        )
        collected.append(found)
        return found

    for embedded in reader.embedded_signatures:
        pairs = ltv.signature_certificates(embedded)
        found = collect([leaf for leaf, _carried in pairs], [c for _leaf, carried in pairs for c in carried])
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            embedded.pkcs7_content.hex().encode("ascii") if vri else None,
            certs=found.certificates,
            ocsps=found.ocsps,
            crls=found.crls,
        )
    # The seal's own chain and the authority's, whose next timestamps the seal and its DSS carry.
    collect([*own, *long_term.certificates])
    everything = ltv.ValidationData.union(collected)
    return ValidationContext(
        trust_roots=list(long_term.trust_roots),
        other_certs=everything.certificates,
        crls=everything.crls,
        ocsps=everything.ocsps,
        allow_fetching=False,
        revocation_mode="hard-fail",
    )


def renew_archive_timestamp(data, timestamper, long_term):
    """Add fresh validation data for every chain of ``data`` (the last document timestamp's
    included) and a new document timestamp over it: the PAdES B-LTA renewal, due before the last
    timestamp's certificate expires. Returns the new bytes.

    Raises TimestampUnavailable, ltv.RevocationUnavailable, ltv.CertificateRevoked or
    ValidationDataIncomplete.
    """
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    existing = {name for name, _value, _ref in fields.enumerate_sig_fields(reader)}
    number = 2
    while f"{TIMESTAMP_FIELD}_{number}" in existing:
        number += 1
    writer = IncrementalPdfFileWriter.from_reader(reader)
    context = _embed_long_term_data(reader, writer, None, long_term, vri=False)
    output = io.BytesIO()
    try:
        signers.PdfTimeStamper(timestamper, field_name=f"{TIMESTAMP_FIELD}_{number}").timestamp_pdf(
            writer,
            "sha256",
            validation_context=context,
            output=output,
            dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
        )
    except (PathError, ValidationError) as exc:
        raise ValidationDataIncomplete(str(exc)) from exc
    except Exception as exc:
        if is_timestamp_failure(exc):
            raise TimestampUnavailable(str(exc)) from exc
        raise
    return output.getvalue()


def archive_timestamp_expiry(data):
    """When the certificate of the last document timestamp of ``data`` expires (aware UTC), or None:
    the archive timestamp must be renewed before."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    stamps = [e for e in reader.embedded_signatures if e.sig_object_type == "/DocTimeStamp"]
    if not stamps:
        return None
    pairs = ltv.signature_certificates(stamps[-1])
    return min(leaf["tbs_certificate"]["validity"]["not_after"].native for leaf, _carried in pairs) if pairs else None
