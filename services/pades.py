"""PAdES signatures with pyHanko: fields laid out once, incremental signatures, the locking seal.

No ORM here. Every signature is an incremental update, so the earlier ones stay valid; every
visible field (one per signer, one for the seal) is created with the first signature we add,
because any change to page content after a signature would break it.
"""

import asyncio
import io
import logging
import threading
import unicodedata
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography import x509
from PIL import Image
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.basic import SimpleFontEngineFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from requests import Session
from requests.auth import HTTPBasicAuth

from . import ltv, pdf_verify, stamp_layout
from .pki import certificate_der, private_key_der, to_asn1

SEAL_FIELD = "esign_seal"
CERTIFICATION_FIELD = "esign_certification"
SIGNER_FIELD = "esign_signer_%s"
TIMESTAMP_FIELD = "esign_archive_timestamp"
STAMP_WIDTH = stamp_layout.STAMP_WIDTH
STAMP_HEIGHT = stamp_layout.STAMP_HEIGHT
STAMP_GAP = stamp_layout.STAMP_GAP
PAGE_MARGIN = 30
STAMP_FONT_SIZE = 7.5
STAMP_LEADING = 9
STAMP_PADDING = 4
STAMP_TEXT_LINES = 4
# The stamp's white background is drawn this many pixels per point: the drawn signature stays sharp.
STAMP_RESOLUTION = 3


class SigningRefused(ValueError):
    """The document cannot take this signature; ``reason`` is one of REASONS."""

    REASONS = ("sealed", "locked", "unreadable")

    def __init__(self, reason, detail=""):
        assert reason in self.REASONS
        super().__init__(reason, detail)
        self.reason = reason


class TimestampUnavailable(RuntimeError):
    """The timestamp authority could not be reached or gave no usable answer."""


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


# Common characters outside Latin-1 that have a plain look-alike (typographic quotes, dashes...).
LATIN_LOOKALIKES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2011": "-",
        "\u2026": "...",
        "\u202f": " ",
        "€": "EUR",
        "Œ": "OE",
        "œ": "oe",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "\u0131": "i",
    }
)


def latin_text(text):
    """What the standard PDF fonts can show: Latin-1 kept, look-alikes for quotes and dashes, other
    letters without accents, the rest '?'."""
    result = []
    for char in (text or "").translate(LATIN_LOOKALIKES):
        try:
            char.encode("latin-1")
            result.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            result.append(plain or "?")
    return "".join(result)


def stamp_boxes(page_width, page_height, count):
    """``count`` non-overlapping boxes along the bottom of a page, left to right then upwards."""
    columns = max(1, int((page_width - 2 * PAGE_MARGIN + STAMP_GAP) // (STAMP_WIDTH + STAMP_GAP)))
    boxes = []
    for index in range(count):
        row, column = divmod(index, columns)
        x = PAGE_MARGIN + column * (STAMP_WIDTH + STAMP_GAP)
        y = PAGE_MARGIN + row * (STAMP_HEIGHT + STAMP_GAP)
        if y + STAMP_HEIGHT > page_height:
            y = PAGE_MARGIN
        boxes.append((int(x), int(y), int(x + STAMP_WIDTH), int(y + STAMP_HEIGHT)))
    return boxes


def make_signer(credential):
    """A pyHanko signer over an in-memory key; the key object is dropped with it."""
    return signers.SimpleSigner(
        signing_cert=to_asn1(credential.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(private_key_der(credential.key)),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(cert) for cert in credential.chain]),
    )


class SessionTimeStamper(RequestsHTTPTimeStamper):
    """pyHanko's ``requests`` timestamp client over one kept-alive session per thread.

    pyHanko's own clients open a new connection (and, for HTTPS, a new TLS context) for every
    timestamp; in a parapheur batch of hundreds that is most of the cost of asking for one.
    """

    def __init__(self, url, timeout=10, auth=None):
        super().__init__(url, timeout=timeout, auth=auth)
        self._local = threading.local()

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = Session()
        return session

    async def async_request_tsa_response(self, req):
        # One signature at a time runs in this event loop: no need to hop to a thread.
        try:
            response = self._session().post(
                self.url, data=req.dump(), headers=self.request_headers(), auth=self.auth, timeout=self.timeout
            )
        except OSError as exc:
            raise TimestampRequestError("Error in communication with timestamp server") from exc
        if response.headers.get("Content-Type") != "application/timestamp-reply":
            raise TimestampRequestError("Timestamp server response is malformed.", response)
        return tsp.TimeStampResp.load(response.content)


class _CollectedValidationData(logging.Filter):
    """pyHanko warns when it embeds validation data without fetching it: here it was fetched beforehand."""

    def filter(self, record):
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_CollectedValidationData())

_TIMESTAMPERS = {}
_TIMESTAMPERS_MAX = 32


def make_timestamper(url, username=None, password=None, timeout=10, fresh=False):
    """A timestamp client for the authority at ``url``, kept per authority: it keeps its connection
    and the size probe it sends first.

    ``fresh`` gives a new one, whose certificates are those the authority uses now (needed when
    its chain is validated, as for the seal: the authority may have renewed its certificate).
    """
    auth = HTTPBasicAuth(username, password or "") if username else None
    if fresh:
        return SessionTimeStamper(url, timeout=timeout, auth=auth)
    key = (url, username, password, timeout)
    timestamper = _TIMESTAMPERS.get(key)
    if timestamper is None:
        if len(_TIMESTAMPERS) >= _TIMESTAMPERS_MAX:
            _TIMESTAMPERS.clear()
        timestamper = _TIMESTAMPERS[key] = SessionTimeStamper(url, timeout=timeout, auth=auth)
    return timestamper


def _is_timestamp_failure(error):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, TimestampRequestError | OSError | asyncio.TimeoutError):
            return True
        error = error.__cause__ or error.__context__
    return False


def timestamp_trust(timestamper):
    """The certificates the timestamp authority sends, fetched once; raises TimestampUnavailable.

    Trusting them only serves to collect the validation data to embed, never to judge a signature.
    """
    try:
        asyncio.run(timestamper.async_dummy_response("sha256"))
    except Exception as exc:
        if _is_timestamp_failure(exc):
            raise TimestampUnavailable(str(exc)) from exc
        raise
    return list(timestamper.cert_registry)


def check_signable(data):
    """Raise SigningRefused when the addon must not add a signature to ``data``."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        existing = reader.embedded_signatures
    except Exception as exc:
        raise SigningRefused("unreadable", str(exc)) from exc
    for embedded in existing:
        if embedded.field_name == SEAL_FIELD:
            raise SigningRefused("sealed")
        if embedded.docmdp_level is not None and embedded.docmdp_level == fields.MDPPerm.NO_CHANGES:
            raise SigningRefused("locked")
    return reader


def _legacy_boxes(writer, places, page_count):
    """Fields laid out before placements existed: along the bottom of the last page."""
    page_ref = writer.find_page_for_modification(page_count - 1)[0]
    media_box = page_ref.get_object()["/MediaBox"]
    width = float(media_box[2]) - float(media_box[0])
    height = float(media_box[3]) - float(media_box[1])
    return stamp_boxes(width, height, len(places))


def is_signed(data):
    """Whether ``data`` already carries a signature (then no page may be added to it)."""
    return bool(check_signable(data).embedded_signatures)


def _prepare_fields(writer, places, signature_page=None):
    """Create the missing signature fields of ``places``, each at its place (appending the signature
    page first when a field goes there)."""
    existing = {name for name, _value, _ref in fields.enumerate_sig_fields(writer)}
    missing = [place for place in places if place.name not in existing]
    if not missing:
        return
    page_count = int(writer.root["/Pages"]["/Count"])
    if signature_page is not None and page_count == signature_page.index:
        stamp_layout.append_signature_page(writer, signature_page)
        page_count += 1
    legacy = iter(_legacy_boxes(writer, places, page_count)) if any(p.box is None for p in places) else None
    for place in places:
        box = next(legacy) if place.box is None else tuple(place.box)
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


def _stamp_background(image_png, text_height):
    """The stamp's opaque white background, with the drawn signature above the text area: the page
    never shows through, and the drawing never runs into the words."""
    scale = STAMP_RESOLUTION
    canvas = Image.new("RGB", (STAMP_WIDTH * scale, STAMP_HEIGHT * scale), "white")
    if image_png:
        picture = Image.open(io.BytesIO(image_png)).convert("RGBA")
        room = ((STAMP_WIDTH - 2 * STAMP_PADDING) * scale, (STAMP_HEIGHT - text_height - 3) * scale)
        picture.thumbnail(room)
        left = (canvas.width - picture.width) // 2
        top = 3 * scale + (room[1] - picture.height) // 2
        canvas.paste(picture, (left, top), picture)
    return PdfImage(canvas)


def stamp_lines(text):
    """The stamp text cut to the stamp's width, at most STAMP_TEXT_LINES lines (Latin-1): a long
    name is shortened, the first line (who) and the last (when) always stay."""
    width = STAMP_WIDTH - 2 * STAMP_PADDING
    lines = stamp_layout.wrap(latin_text(text), width, STAMP_FONT_SIZE)
    if len(lines) > STAMP_TEXT_LINES:
        middle = lines[1 : STAMP_TEXT_LINES - 1]
        middle[-1] = stamp_layout.wrap(middle[-1] + "...", width, STAMP_FONT_SIZE)[0]
        if not middle[-1].endswith("..."):
            middle[-1] = middle[-1][:-3] + "..."
        lines = [lines[0], *middle, lines[-1]]
    return "\n".join(lines)


def _text_area_height(lines):
    return max(3, lines.count("\n") + 1) * STAMP_LEADING + 2 * STAMP_PADDING


def _stamp_style(image_png, lines):
    return TextStampStyle(
        stamp_text="%(text)s",
        border_width=1,
        text_box_style=TextBoxStyle(
            font=SimpleFontEngineFactory("Helvetica", 0.5), font_size=STAMP_FONT_SIZE, leading=STAMP_LEADING
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins.uniform(STAMP_PADDING),
        ),
        background=_stamp_background(image_png, _text_area_height(lines)),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
            inner_content_scaling=layout.InnerScaling.STRETCH_FILL,
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
    timestamp token (sized once per authority) and pyHanko's own 50 % margin.

    It spares pyHanko the trial signature it would otherwise make to size each signature.
    """
    size = 4096 + sum(len(certificate_der(cert)) for cert in (credential.certificate, *credential.chain))
    if timestamper is not None:
        size += len(asyncio.run(timestamper.async_dummy_response("sha256")).dump())
    return 2 * (size + size // 2)


def _run(pdf_signer, writer, timestamper, reserve_for=None, **kwargs):
    try:
        if reserve_for is not None:
            kwargs["bytes_reserved"] = _bytes_reserved(reserve_for, timestamper)
        return pdf_signer.sign_pdf(writer, **kwargs).getvalue()
    except Exception as exc:
        if timestamper is not None and _is_timestamp_failure(exc):
            raise TimestampUnavailable(str(exc)) from exc
        raise


def _certify(reader, places, certifier, timestamper, signature_page=None):
    """The firm's certification, first signature of the document: fields laid out (and the signature
    page appended), then only form filling and signing allowed. Returns the certified revision."""
    writer = IncrementalPdfFileWriter.from_reader(reader)
    _prepare_fields(writer, places, signature_page)
    metadata = signers.PdfSignatureMetadata(
        field_name=CERTIFICATION_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        make_signer(certifier),
        timestamper=timestamper,
        new_field_spec=fields.SigFieldSpec(CERTIFICATION_FIELD),
    )
    return _run(pdf_signer, writer, timestamper, reserve_for=certifier)


def certify_pdf(data, places, certifier, timestamper=None, signature_page=None):
    """The firm's certification of ``data`` with every field of ``places`` laid out; None when the
    document already carries a signature (signed elsewhere: a certification must come first).

    Raises SigningRefused or TimestampUnavailable.
    """
    reader = check_signable(data)
    if reader.embedded_signatures:
        return None
    return _certify(reader, places, certifier, timestamper, signature_page)


def sign_pdf(
    data,
    credential,
    field_name,
    places,
    stamp_text,
    image_png=None,
    timestamper=None,
    signer_name=None,
    validation_context=None,
    archive=False,
    certifier=None,
    long_term=None,
    signature_page=None,
):
    """Add one visible PAdES signature of ``credential`` in ``field_name``; return the new bytes.

    ``places`` lists every field the document must hold (created now if missing). When the document
    carries no signature yet and ``certifier`` (a function returning the firm's credential) is given,
    the firm certifies it first. With ``validation_context`` the validation data is embedded (B-LT);
    with ``archive`` and a timestamper, a document timestamp follows (B-LTA). With ``long_term``
    (LongTermSettings), the revocation data of every chain of the document, of ``credential`` and
    of the timestamp authority are fetched first and embedded (with a VRI per earlier signature),
    and ``validation_context`` is built from them.
    Raises SigningRefused, TimestampUnavailable, ltv.RevocationUnavailable, ltv.CertificateRevoked
    or ValidationDataIncomplete.
    """
    reader = check_signable(data)
    if certifier is not None and not reader.embedded_signatures:
        certified = _certify(reader, places, certifier(), timestamper, signature_page)
        reader = PdfFileReader(io.BytesIO(certified), strict=False)
    writer = IncrementalPdfFileWriter.from_reader(reader)
    _prepare_fields(writer, places, signature_page)
    if long_term is not None:
        validation_context = _embed_long_term_data(reader, writer, credential, long_term)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=signer_name,
        embed_validation_info=validation_context is not None,
        validation_context=validation_context,
        use_pades_lta=bool(archive and timestamper and validation_context is not None),
        timestamp_field_name=TIMESTAMP_FIELD,
        signer_key_usage=_required_key_usage(credential.certificate),
        docmdp_permissions=fields.MDPPerm.NO_CHANGES if field_name == SEAL_FIELD else fields.MDPPerm.FILL_FORMS,
        # The validation data of the document timestamp goes before it, so it covers the whole file.
        dss_settings=DSSContentSettings(
            next_ts_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False)
        ),
    )
    lines = stamp_lines(stamp_text)
    pdf_signer = signers.PdfSigner(
        metadata, make_signer(credential), timestamper=timestamper, stamp_style=_stamp_style(image_png, lines)
    )
    # The seal's container also carries validation data: pyHanko sizes that one itself.
    try:
        return _run(
            pdf_signer,
            writer,
            timestamper,
            reserve_for=credential if validation_context is None else None,
            appearance_text_params={"text": lines},
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
    everything = ltv.ValidationData()

    def collect(leaves, carried=()):
        found = ltv.collect(
            leaves,
            [*carried, *pool],
            local_crl=long_term.local_crl,
            timeout=long_term.timeout,
            session=session,
            cache=cache,
        )
        everything.extend(found)
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
        if _is_timestamp_failure(exc):
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


def validation_context(trust_roots, crls=(), extra_trust=()):
    """The context used to collect the validation data embedded with the seal (no network)."""
    return pdf_verify.validation_context([*trust_roots, *extra_trust], crls)
