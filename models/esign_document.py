import base64
import binascii
import json
from dataclasses import asdict
from datetime import UTC

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..services import ltv, pades, pades_level, stamp_layout, timestamp_client
from ..services.pdf_inspect import PdfRejected, inspect_pdf, sha256_hex
from ..services.stamp_appearance import Stamp
from ..services.text_input import control_problem

PDF_FIELDS = ("original_pdf", "signed_pdf")


class EsignDocument(models.Model):
    """One PDF of a collection: its original, its current signed revision and their hashes."""

    _name = "esign.document"
    _description = "Collection document"
    _order = "collection_id, sequence, id"
    _check_company_auto = True
    _inherit = ["esign.workflow.guard"]
    _esign_workflow_fields = (
        "original_sha256",
        "signed_pdf",
        "signed_sha256",
        "page_count",
        "file_size",
        "purged",
        "sealed_date",
        "pades_level",
        "archive_expiry",
        "stamp_layout",
    )
    _esign_frozen_fields = ("collection_id",)
    _esign_placement_fields = ("stamp_placement", "stamp_anchor", "stamp_page", "stamp_x", "stamp_y")

    collection_id = fields.Many2one("esign.collection", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="collection_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(string="File name", required=True)
    original_pdf = fields.Binary(string="Original PDF", attachment=True, copy=True)
    original_sha256 = fields.Char(string="Original SHA-256", readonly=True, copy=False)
    signed_pdf = fields.Binary(string="Signed PDF", attachment=True, copy=False, readonly=True)
    signed_sha256 = fields.Char(string="Current SHA-256", readonly=True, copy=False)
    page_count = fields.Integer(string="Pages", readonly=True, copy=False)
    file_size = fields.Integer(string="Size (bytes)", readonly=True, copy=False)
    purged = fields.Boolean(readonly=True, copy=False)
    sealed_date = fields.Datetime(
        string="Sealed on", readonly=True, copy=False, help="After the firm's seal, nothing more can be signed."
    )
    pades_level = fields.Char(
        string="PAdES level",
        readonly=True,
        copy=False,
        help="The PAdES baseline level (ETSI EN 319 142-1) the sealed file reaches: B-B, B-T, B-LT or B-LTA.",
    )
    archive_expiry = fields.Datetime(
        string="Archive timestamp valid until",
        readonly=True,
        copy=False,
        help="The certificate of the document's last timestamp expires then: a new archive timestamp is added before.",
    )

    stamp_placement = fields.Selection(
        [
            ("anchor", "Next to an anchor text"),
            ("page", "At a place on a page"),
            ("appended", "On an appended signature page"),
        ],
        string="Stamps placement",
        required=True,
        default="anchor",
        help="Where the signers' stamps and the seal go. Next to an anchor text: a {{signature:client}}, "
        "{{signature:firm}}, {{signature:seal}} or {{signature:<rank>}} tag, else the anchor text below, else "
        "“Pour le client” / “Lu et approuvé” for clients and “Pour le cabinet” for the firm. When no anchor is "
        "found or the stamps would cover text, they go on a signature page appended to the document.",
    )
    stamp_anchor = fields.Char(
        string="Anchor text", help="Text of the document next to which the stamps go, before the default ones."
    )
    stamp_page = fields.Integer(string="Stamps page", default=1, help="Page (from 1) where the stamps go.")
    stamp_x = fields.Float(
        string="Stamps left (pt)", help="Left edge of the first stamp, in points from the page's left edge."
    )
    stamp_y = fields.Float(
        string="Stamps bottom (pt)", help="Bottom edge of the first stamp, in points from the page's bottom edge."
    )
    stamp_layout = fields.Text(
        string="Stamps layout", readonly=True, copy=False, help="Where every stamp went, fixed at launch."
    )

    _sql_constraints = [
        ("file_size_positive", "CHECK(file_size >= 0)", "A file size cannot be negative."),
    ]

    @api.constrains("name")
    def _check_file_name(self):
        """The name goes into download headers and e-mails: one plain line."""
        for document in self:
            if control_problem(document.name):
                raise ValidationError(
                    self.env._("The file name “%s” cannot hold line breaks or control characters.", document.name)
                )

    def _rejection_message(self, filename, rejection, max_size_mb):
        reasons = {
            "empty": self.env._("the file is empty"),
            "too_large": self.env._("it is larger than the %s MB allowed", max_size_mb),
            "not_pdf": self.env._("it is not a PDF (only PDF files can be signed)"),
            "encrypted": self.env._("it is protected by a password or encrypted"),
            "unreadable": self.env._("it is damaged and cannot be read"),
            "no_page": self.env._("it has no page"),
        }
        return self.env._(
            "The file “%(name)s” was refused: %(reason)s.", name=filename, reason=reasons[rejection.reason]
        )

    def _inspect_upload(self, vals, company):
        """Check the uploaded PDF of ``vals`` and add its facts; raise a clear message otherwise."""
        if "original_pdf" not in vals:
            return vals
        filename = vals.get("name") or self.env._("(unnamed file)")
        max_size_mb = company.esign_max_pdf_size_mb
        try:
            data = base64.b64decode(vals["original_pdf"] or b"", validate=True)
        except (binascii.Error, ValueError):
            data = b"\x00"
        try:
            info = inspect_pdf(data, max_size_mb * 1024 * 1024)
        except PdfRejected as rejection:
            raise UserError(self._rejection_message(filename, rejection, max_size_mb)) from rejection
        return dict(
            vals,
            original_sha256=info.sha256,
            signed_sha256=info.sha256,
            page_count=info.page_count,
            file_size=info.size,
        )

    @api.model_create_multi
    def create(self, vals_list):
        collections = self.env["esign.collection"].browse([vals.get("collection_id") for vals in vals_list])
        for collection in collections:
            if collection.state not in ("draft", "ready"):
                raise UserError(self.env._("Documents cannot be added to a collection once it is launched."))
        checked = []
        for vals, collection in zip(vals_list, collections, strict=True):
            if not vals.get("original_pdf"):
                raise UserError(
                    self._rejection_message(
                        vals.get("name") or self.env._("(unnamed file)"),
                        PdfRejected("empty"),
                        collection.company_id.esign_max_pdf_size_mb,
                    )
                )
            self._esign_refuse_fields(vals)
            checked.append(self._inspect_upload(vals, collection.company_id))
        # The facts of each file come from its inspection only.
        documents = self._esign_call(super().create, checked)
        if not self.env.context.get("esign_defer_document_events"):
            documents._log_added()
        return documents

    def _log_added(self):
        for document in self:
            document.collection_id._log_event(
                "document_added",
                document_id=document.id,
                document_sha256=document.original_sha256,
                description=document.name,
            )

    @api.constrains("stamp_placement", "stamp_page", "stamp_x", "stamp_y")
    def _check_stamp_position(self):
        """A place on a page must be on one of the document's pages, the stamp inside it."""
        for document in self.filtered(lambda d: d.stamp_placement == "page"):
            message = document._esign_position_error_message()
            if message:
                raise ValidationError(message)

    def _esign_position_error_message(self):
        """Why the place chosen on a page cannot take the stamps, in words, or False."""
        self.ensure_one()
        if not 1 <= self.stamp_page <= (self.page_count or 1):
            return self.env._(
                "The stamps of “%(file)s” go on page %(page)s, but the document has %(count)s page(s).",
                file=self.name,
                page=self.stamp_page,
                count=self.page_count,
            )
        media = stamp_layout.page_media(self._current_pdf(), self.stamp_page) if self.original_pdf else None
        x, y = self.stamp_x, self.stamp_y
        box = stamp_layout.Box(x, y, x + stamp_layout.STAMP_WIDTH, y + stamp_layout.STAMP_HEIGHT)
        if media is not None and not box.inside(media):
            return self.env._(
                "The place chosen for the stamps of “%(file)s” is outside page %(page)s: a stamp is %(w)s by "
                "%(h)s points, the page %(width)s by %(height)s points from (%(x0)s, %(y0)s).",
                file=self.name,
                page=self.stamp_page,
                w=stamp_layout.STAMP_WIDTH,
                h=stamp_layout.STAMP_HEIGHT,
                width=round(media.x1 - media.x0),
                height=round(media.y1 - media.y0),
                x0=round(media.x0),
                y0=round(media.y0),
            )
        return False

    def write(self, vals):
        self._esign_refuse_fields(vals)
        if set(vals) & set(self._esign_placement_fields) and any(
            doc.collection_id.state not in ("draft", "ready") for doc in self
        ):
            raise UserError(self.env._("The stamps placement of a launched collection cannot change."))
        if "name" in vals and any(doc.collection_id.state not in ("draft", "ready") for doc in self):
            raise UserError(self.env._("A document of a launched collection cannot be renamed."))
        if "original_pdf" in vals:
            if any(doc.collection_id.state not in ("draft", "ready") for doc in self):
                raise UserError(self.env._("The original of a launched collection cannot be replaced."))
            if not vals["original_pdf"]:
                raise UserError(self.env._("A document needs its PDF file; delete the line instead."))
            for document in self:
                document._esign_call(
                    super(EsignDocument, document).write, document._inspect_upload(vals, document.company_id)
                )
            vals = {k: v for k, v in vals.items() if k not in ("original_pdf", "name")}
            if not vals:
                return True
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_unlaunched(self):
        if any(doc.collection_id.state not in ("draft", "ready") for doc in self):
            raise UserError(self.env._("Documents of a launched collection cannot be removed."))

    def _esign_pdf_attachment(self, field_name):
        """The attachment that holds one of the document's PDF fields, if any."""
        self.ensure_one()
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", self._name), ("res_id", "=", self.id), ("res_field", "=", field_name)],
                limit=1,
            )
        )

    def _current_pdf(self):
        """The bytes a signer signs now: the latest signed revision, else the original; read from the
        file as bytes, without a base64 round trip of a file that may weigh megabytes."""
        self.ensure_one()
        if not self.id:
            return base64.b64decode(self.signed_pdf or self.original_pdf or b"")
        for field_name in ("signed_pdf", "original_pdf"):
            attachment = self._esign_pdf_attachment(field_name)
            if attachment:
                return attachment.raw
        return b""

    # ------------------------------------------------------------------
    # Stamps placement
    # ------------------------------------------------------------------

    def _esign_compute_layout(self):
        """Where every stamp of this document goes: (Layout, SignaturePage or None).

        Raises UserError when it cannot be computed (unreadable text, wrong place, too many signers).
        """
        self.ensure_one()
        collection = self.collection_id
        slots = collection._esign_stamp_slots(self.stamp_anchor)
        try:
            message = self.stamp_placement == "page" and self._esign_position_error_message()
            if message:
                raise UserError(message)
            pages = stamp_layout.read_pages(self._current_pdf())
            placements, fallback = None, ""
            if self.stamp_placement == "anchor":
                placements, fallback = stamp_layout.anchor_layout(pages, slots)
            elif self.stamp_placement == "page":
                placements, fallback = stamp_layout.page_layout(
                    pages, slots, self.stamp_page, self.stamp_x, self.stamp_y
                )
            if placements is not None:
                return stamp_layout.Layout(placements), None
            if self._esign_signed_elsewhere():
                # Signed before it came here: a new page would break that signature; free space only.
                placements = stamp_layout.free_layout(pages, slots)
                if placements is None:
                    raise UserError(
                        self.env._("“%s” is already signed and has no free space for the stamps.", self.name)
                    )
                return stamp_layout.Layout(placements, fallback=fallback or "no_anchor", free=True), None
            page, boxes = collection._esign_signature_page(self, pages)
            placements = tuple(
                stamp_layout.Placement(slot.name, page.index, box) for slot, box in zip(slots, boxes, strict=True)
            )
            return stamp_layout.Layout(placements, appended=True, fallback=fallback), page
        except stamp_layout.LayoutError as exc:
            messages = {
                "unreadable": self.env._("The stamps of “%s” cannot be placed: its text cannot be read.", self.name),
                "no_page": self.env._("The stamps of “%s” cannot be placed: it has no page.", self.name),
                "outside": self.env._("The place chosen for the stamps of “%s” is outside its page.", self.name),
                "too_many": self.env._(
                    "The stamps of “%s” do not fit on one signature page: too many signers.", self.name
                ),
            }
            raise UserError(messages[exc.reason]) from exc

    def _esign_signed_elsewhere(self):
        self.ensure_one()
        try:
            return pades.is_signed(self._current_pdf())
        except pades.SigningRefused:
            return False

    def _esign_layout_values(self, layout, signature_page):
        """The stored form of a layout: JSON of its placements and its signature page."""
        return {
            "stamp_layout": json.dumps(
                {
                    "placements": [[p.name, p.page, list(p.box.rounded())] for p in layout.placements],
                    "signature_page": asdict(signature_page) if signature_page else None,
                }
            )
        }

    def _esign_places(self):
        """(FieldPlace list, SignaturePage or None) of this document: the layout fixed at launch, or
        for a document launched before layouts existed, the row along the bottom of the last page."""
        self.ensure_one()
        labels = self.collection_id._esign_field_labels()
        if not self.stamp_layout:
            return [pades.FieldPlace(name, label) for name, label in labels], None
        stored = json.loads(self.stamp_layout)
        boxes = {name: (page, tuple(box)) for name, page, box in stored["placements"]}
        places = [
            pades.FieldPlace(name, label, *boxes[name]) if name in boxes else pades.FieldPlace(name, label)
            for name, label in labels
        ]
        return places, _signature_page(stored.get("signature_page"))

    # ------------------------------------------------------------------
    # PAdES revisions
    # ------------------------------------------------------------------

    def _esign_check_not_sealed(self):
        sealed = self.filtered("sealed_date")
        if sealed:
            raise UserError(self.env._("“%s” is sealed by the firm: it cannot be signed any more.", sealed[0].name))

    def _esign_sign(
        self, credential, field_name, stamp_text, image_png=None, timestamper=None, signer_name=None, long_term=None
    ):
        """The bytes of the next revision of this document, signed by ``credential`` in ``field_name``
        (its field laid out at launch); nothing is written. With ``long_term`` (pades.LongTermSettings,
        the seal), the validation data and, with a timestamper, a document timestamp follow.

        Raises UserError when the document cannot take the signature or the timestamp authority fails.
        """
        places, _signature_page = self._esign_places()
        spec = pades.SignatureSpec(field_name, Stamp(stamp_text, image_png), signer_name, places)
        return self._esign_pades(pades.sign_pdf, credential, spec, timestamper, long_term)

    def _esign_certify(self, places, credential, timestamper, signature_page=None):
        """The bytes of this document certified by the firm's ``credential``, every field of ``places``
        laid out (and ``signature_page`` appended), or None when it was signed elsewhere first."""
        layout = pades.FieldLayout(places, signature_page)
        return self._esign_pades(pades.certify_pdf, credential, layout, timestamper)

    def _esign_pades(self, operation, *args, **options):
        """Run a pyHanko ``operation`` on the current revision, turning its refusals into UserError."""
        self.ensure_one()
        data = self._current_pdf()
        if not data:
            raise UserError(self.env._("The file of “%s” was purged: it cannot be signed.", self.name))
        try:
            return operation(data, *args, **options)
        except timestamp_client.TimestampUnavailable as exc:
            raise UserError(self._esign_timestamp_failure_message()) from exc
        except (ltv.RevocationUnavailable, ltv.CertificateRevoked, pades.ValidationDataIncomplete) as exc:
            raise UserError(self._esign_validation_data_message(exc)) from exc
        except pades.SigningRefused as exc:
            messages = {
                "sealed": self.env._("“%s” is sealed by the firm: it cannot be signed any more.", self.name),
                "locked": self.env._(
                    "“%s” carries a certification that forbids any change: it cannot be signed.", self.name
                ),
                "unreadable": self.env._("“%s” cannot be read as a PDF: it cannot be signed.", self.name),
                "uncertified": self.env._(
                    "“%s” was not certified by the firm when the collection was launched: it cannot be signed.",
                    self.name,
                ),
            }
            raise UserError(messages[exc.reason]) from exc

    def _esign_validation_data_message(self, error):
        """Why the validation data of this document cannot be completed now (the seal waits)."""
        if isinstance(error, ltv.RevocationUnavailable):
            return self.env._(
                "The revocation status of the certificate “%(subject)s” could not be obtained from %(url)s: "
                "without it the validation data of “%(file)s” would be incomplete.",
                subject=error.subject,
                url=error.url,
                file=self.name,
            )
        if isinstance(error, ltv.CertificateRevoked):
            return self.env._(
                "The certificate “%(subject)s” was revoked on %(date)s: “%(file)s” cannot be sealed with it.",
                subject=error.subject,
                date=error.revoked_at.strftime("%Y-%m-%d %H:%M UTC"),
                file=self.name,
            )
        return self.env._(
            "The validation data of “%(file)s” is incomplete: %(detail)s", file=self.name, detail=str(error)[:200]
        )

    def _esign_timestamp_failure_message(self):
        return self.env._(
            "The timestamp authority could not be reached, so nothing was signed and nothing was lost. "
            "Please try again in a few minutes."
        )

    # ------------------------------------------------------------------
    # Long-term validation (PAdES B-LTA)
    # ------------------------------------------------------------------

    @api.model
    def _esign_level_explanation(self, report):
        """What a PAdES level report says is missing, one sentence per problem, in the user's language."""
        messages = {
            "no_signature": self.env._("The file carries no signature."),
            "not_pades": self.env._("The signature %s is not in the PAdES format (ETSI.CAdES.detached)."),
            "no_signing_certificate": self.env._("The signature %s does not name its signing certificate."),
            "no_timestamp": self.env._("The signature %s has no timestamp (B-T not reached)."),
            "no_issuer": self.env._("The issuer of the certificate “%s” is not in the file (B-LT not reached)."),
            "no_revocation_data": self.env._(
                "The file holds no revocation data (OCSP or CRL) for the certificate “%s” (B-LT not reached)."
            ),
            "revoked": self.env._("The validation data in the file says the certificate “%s” is revoked."),
            "no_archive_timestamp": self.env._(
                "No document timestamp covers the validation data of the signature %s (B-LTA not reached)."
            ),
        }
        sentences = []
        for code, detail in report.missing:
            sentences.append(messages[code] % detail if "%s" in messages[code] else messages[code])
        return sentences

    def _esign_check_long_term(self, data, archive):
        """The level values of a freshly sealed revision; UserError when, with a timestamp authority,
        its signatures do not reach B-LTA by themselves (the seal then waits: nothing is written).
        A signature made elsewhere in another format keeps no level, but its validation data is complete."""
        self.ensure_one()
        try:
            report = pades_level.pades_level(data)
        except ValueError as exc:
            raise UserError(self.env._("“%s” cannot be read after sealing.", self.name)) from exc
        if archive and any(code in pades_level.LONG_TERM_PROBLEMS for code, _detail in report.missing):
            raise UserError(
                self.env._(
                    "The validation data of “%(file)s” is incomplete: %(missing)s",
                    file=self.name,
                    missing=" ".join(self._esign_level_explanation(report))[:200],
                )
            )
        expiry = pades.archive_timestamp_expiry(data) if archive else None
        return {
            "pades_level": report.level or False,
            "archive_expiry": expiry.astimezone(UTC).replace(tzinfo=None) if expiry else False,
        }

    def _esign_renew_archive(self, timestamper, long_term):
        """The bytes of this sealed document with fresh validation data and a new archive timestamp,
        and the level values to write; nothing is written. UserError when it cannot be done now."""
        self.ensure_one()
        data = self._esign_pades(pades.renew_archive_timestamp, timestamper, long_term)
        return data, self._esign_check_long_term(data, True)

    def _esign_store_revision(self, data):
        """Keep ``data`` as the current signed revision of this document, with its SHA-256; the bytes
        go to the file as they are (no base64, no type guessing) once the revision exists."""
        self.ensure_one()
        attachment = self._esign_pdf_attachment("signed_pdf")
        if not attachment:
            self._esign_write({"signed_pdf": base64.b64encode(data), "signed_sha256": sha256_hex(data)})
            return
        self._esign_call(attachment.write, {"raw": data, "mimetype": "application/pdf"})
        self.invalidate_recordset(["signed_pdf"])
        self._esign_write({"signed_sha256": sha256_hex(data)})

    def _purge_files(self):
        """Delete the PDF files, keep the hashes (set-based: one search, one unlink)."""
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids), ("res_field", "in", list(PDF_FIELDS))])
        )
        attachments._esign_unlink_attachment()
        self.env.cr.execute("UPDATE esign_document SET purged = TRUE WHERE id = ANY(%s)", [self.ids])
        self.invalidate_recordset(["purged", *PDF_FIELDS])


def _signature_page(values):
    """The SignaturePage stored as JSON by ``_esign_layout_values``."""
    if not values:
        return None
    media = stamp_layout.Box(*(values["media"][key] for key in ("x0", "y0", "x1", "y1")))
    blocks = tuple(
        stamp_layout.SignatureBlock(block["label"], stamp_layout.Box(**block["frame"])) for block in values["blocks"]
    )
    return stamp_layout.SignaturePage(
        values["index"], media, values["title"], tuple(values["intro"]), tuple(values["signers"]), blocks
    )
