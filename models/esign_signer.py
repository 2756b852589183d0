import base64
import binascii
import hashlib
import io
import secrets

import phonenumbers
from markupsafe import Markup
from PIL import Image

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import consteq, email_normalize

from ..services import pades
from ..services.otp import mask_mobile
from ..services.text_input import control_problem
from .esign_collection import PREPARATION_STATES

SIGNER_STATES = [
    ("waiting", "Waiting for their turn"),
    ("to_sign", "To sign"),
    ("signed", "Signed"),
    ("refused", "Refused"),
]
SIGNER_ROLES = [("client", "Client"), ("firm", "Firm"), ("other", "Other")]
MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
REFUSAL_REASON_MAX_LENGTH = 1000
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
# Links handed out (invitation, reminders, portal openings) that stay valid at once.
ACCESS_TOKENS_KEPT = 20
IMAGE_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
IDENTITY_FIELDS = ("partner_id", "name", "email", "mobile")
# Contact fields of a pending signer that may still change after the launch, each change journaled.
JOURNALED_CONTACT_FIELDS = ("partner_id", "name", "email", "mobile", "lang")


def _token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class EsignSigner(models.Model):
    """A person who must sign the documents of a collection, in a given order."""

    _name = "esign.signer"
    _description = "Signer"
    _order = "collection_id, signing_order, id"
    _check_company_auto = True
    _allow_sudo_commands = False
    _inherit = ["esign.workflow.guard"]
    _esign_workflow_fields = (
        "state",
        "notified_date",
        "last_notification_date",
        "signed_date",
        "refused_date",
        "refusal_reason",
        "access_token_hashes",
        "certificate_pem",
        "certificate_sha256",
    )
    _esign_frozen_fields = ("collection_id",)

    collection_id = fields.Many2one("esign.collection", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="collection_id.company_id", store=True, index=True)
    collection_state = fields.Selection(related="collection_id.state", string="Collection status")
    partner_id = fields.Many2one("res.partner", string="Contact", index=True)
    user_id = fields.Many2one("res.users", compute="_compute_user_id", store=True, index="btree_not_null")
    name = fields.Char(compute="_compute_from_partner", store=True, precompute=True, readonly=False, required=True)
    email = fields.Char(string="E-mail", compute="_compute_from_partner", store=True, precompute=True, readonly=False)
    mobile = fields.Char(
        compute="_compute_from_partner",
        store=True,
        precompute=True,
        readonly=False,
        help="Receives the one-time code by SMS; stored in international format (E.164).",
    )
    lang = fields.Selection(
        selection=lambda self: self.env["res.lang"].get_installed(),
        string="Language",
        compute="_compute_from_partner",
        store=True,
        precompute=True,
        readonly=False,
    )
    signing_order = fields.Integer(
        string="Order",
        default=1,
        required=True,
        help="Signers with the same order sign at the same time; the next order waits for them.",
    )
    role = fields.Selection(SIGNER_ROLES, required=True, default="client")
    state = fields.Selection(
        SIGNER_STATES, string="Status", required=True, readonly=True, default="waiting", copy=False, index=True
    )
    notified_date = fields.Datetime(string="Turn given on", readonly=True, copy=False)
    last_notification_date = fields.Datetime(string="Last notified on", readonly=True, copy=False)
    signed_date = fields.Datetime(string="Signed on", readonly=True, copy=False)
    refused_date = fields.Datetime(string="Refused on", readonly=True, copy=False)
    refusal_reason = fields.Text(readonly=True, copy=False)
    access_token_hashes = fields.Text(copy=False, groups="base.group_system")
    mobile_masked = fields.Char(string="Mobile (masked)", compute="_compute_mobile_masked")
    deadline = fields.Datetime(related="collection_id.deadline")
    # A co-signer reads their own line only: the clients' names come from the whole collection.
    client_names = fields.Char(string="Client", compute="_compute_client_names", compute_sudo=True)
    document_ids = fields.One2many(related="collection_id.document_ids", string="Documents")
    certificate_pem = fields.Text(
        string="Signing certificate",
        readonly=True,
        copy=False,
        help="The one-shot certificate the company's authority issued for this signature (PEM).",
    )
    certificate_sha256 = fields.Char(string="Certificate SHA-256", readonly=True, copy=False)

    _sql_constraints = [
        ("signing_order_positive", "CHECK(signing_order >= 1)", "The signing order starts at 1."),
    ]

    @api.constrains("name", "email", "mobile")
    def _check_single_line_contact(self):
        """The name goes on the stamp and the certificate, the e-mail in headers: one plain line each."""
        for signer in self:
            for name in ("name", "email", "mobile"):
                if control_problem(signer[name]):
                    raise ValidationError(
                        self.env._(
                            "%(field)s of %(signer)s must be a single line, without line breaks or control characters.",
                            field=self._fields[name].get_description(self.env)["string"],
                            signer=signer.name if name != "name" else self.env._("the signer"),
                        )
                    )

    @api.depends("collection_id.signer_ids.name", "collection_id.signer_ids.role")
    def _compute_client_names(self):
        for signer in self:
            clients = signer.collection_id.signer_ids.filtered(lambda s: s.role == "client")
            signer.client_names = ", ".join(clients.mapped("name"))

    @api.depends("mobile")
    def _compute_mobile_masked(self):
        """The mobile as shown to others and in the evidence: country, first digit and last two only."""
        for signer in self:
            signer.mobile_masked = mask_mobile(signer.mobile)

    @api.depends("partner_id")
    def _compute_from_partner(self):
        for signer in self.filtered("partner_id"):
            partner = signer.partner_id
            signer.name = partner.name
            signer.email = partner.email
            signer.mobile = partner.mobile or partner.phone
            signer.lang = partner.lang

    @api.depends("partner_id")
    def _compute_user_id(self):
        for signer in self:
            signer.user_id = signer.partner_id.user_ids.filtered(lambda u: not u.share)[:1]

    # ------------------------------------------------------------------
    # Contact checks
    # ------------------------------------------------------------------

    def _mobile_country(self):
        return self.partner_id.country_id or self.collection_id.company_id.country_id

    def _normalize_mobile(self, number, country):
        """E.164 form of a mobile number, or a ValidationError that says why not."""
        if not number:
            return False
        formatted = self._phone_format(number=number, country=country, force_format="E164")
        if not formatted:
            raise ValidationError(
                self.env._(
                    "The mobile number “%(number)s” of %(name)s is not valid (country used: %(country)s). "
                    "Write it in international form, for example +33 6 12 34 56 78.",
                    number=number,
                    name=self.name or self.partner_id.name or self.env._("the signer"),
                    country=country.name or self.env._("none"),
                )
            )
        if phonenumbers.number_type(phonenumbers.parse(formatted)) not in MOBILE_TYPES:
            raise ValidationError(
                self.env._(
                    "The number “%(number)s” of %(name)s is not a mobile number: the one-time code goes by SMS.",
                    number=number,
                    name=self.name or self.partner_id.name or self.env._("the signer"),
                )
            )
        return formatted

    def _launch_problems(self):
        self.ensure_one()
        label = self.name or self.env._("Signer #%s", self.signing_order)
        problems = []
        if not (self.name or "").strip():
            problems.append(self.env._("%s: the name is missing.", label))
        if not self.email:
            problems.append(self.env._("%s: the e-mail address is missing.", label))
        elif not email_normalize(self.email):
            problems.append(
                self.env._("%(name)s: the e-mail address “%(email)s” is not valid.", name=label, email=self.email)
            )
        if not self.mobile:
            problems.append(self.env._("%s: the mobile number is missing.", label))
        return problems

    @api.model_create_multi
    def create(self, vals_list):
        collections = self.env["esign.collection"].browse([vals.get("collection_id") for vals in vals_list])
        if any(collection.state not in ("draft", "ready") for collection in collections):
            raise UserError(self.env._("Signers cannot be added to a collection once it is launched."))
        signers = super().create(vals_list)
        for signer in signers:
            # Computed contact fields are known only now: normalise after the fact.
            if signer.mobile:
                normalized = signer._normalize_mobile(signer.mobile, signer._mobile_country())
                if normalized != signer.mobile:
                    signer.mobile = normalized
        return signers

    def write(self, vals):
        if "signing_order" in vals:
            self._check_reorder(vals["signing_order"])
        if any(name in vals for name in IDENTITY_FIELDS) and any(s.state in ("signed", "refused") for s in self):
            raise UserError(self.env._("The contact details of a signer who has signed or refused cannot change."))
        launched = self.filtered(lambda s: s.collection_id.state not in PREPARATION_STATES)
        if launched and "role" in vals and any(s.role != vals["role"] for s in launched):
            raise UserError(self.env._("The role of a signer cannot change once the collection is launched."))
        if any(name in vals for name in IDENTITY_FIELDS) and launched.filtered(lambda s: s.role == "firm"):
            # The firm signs as its user: a new name would go on that user's stamp and certificate.
            raise UserError(
                self.env._("The firm's signer cannot be changed once the collection is launched: cancel it instead.")
            )
        contact_before = {
            signer: {name: signer[name] for name in JOURNALED_CONTACT_FIELDS}
            for signer in launched
            if any(name in vals for name in JOURNALED_CONTACT_FIELDS)
        }
        # Checked before writing, so that a refused number never reaches the record, not even its cache.
        for signer in self:
            if vals.get("mobile"):
                signer._normalize_mobile(vals["mobile"], signer._mobile_country())
        result = super().write(vals)
        if "mobile" in vals or "partner_id" in vals:
            for signer in self.filtered("mobile"):
                normalized = signer._normalize_mobile(signer.mobile, signer._mobile_country())
                if normalized != signer.mobile:
                    super(EsignSigner, signer).write({"mobile": normalized})
        for signer, before in contact_before.items():
            signer._log_contact_change(before)
        if "signing_order" in vals:
            running = self.collection_id.filtered(lambda c: c.state == "in_progress")
            for collection in running:
                order = ", ".join(
                    f"{s.name} ({s.signing_order})" for s in collection.signer_ids.sorted("signing_order")
                )
                collection._log_event("reordered", description=order[:500])
                collection._notify_preparer(
                    lambda env, order=order: Markup("<p>%s</p>") % env._("New signing order: %s", order)
                )
            running._advance()
        return result

    def _log_contact_change(self, before):
        """A pending signer's contact changed after the launch: the journal keeps the old and new values."""
        self.ensure_one()
        changes, shown = [], []
        for name in JOURNALED_CONTACT_FIELDS:
            old, new = before[name], self[name]
            if old != new:
                label = self._fields[name].get_description(self.env)["string"]
                old = old.display_name if isinstance(old, models.BaseModel) else old
                new = new.display_name if isinstance(new, models.BaseModel) else new
                changes.append(f"{label}: {old or '-'} → {new or '-'}")
                if name == "mobile":  # the chatter is read more widely than the journal
                    old, new = mask_mobile(old), mask_mobile(new)
                shown.append(f"{label}: {old or '-'} → {new or '-'}")
        if not changes:
            return
        description = self.company_id._esign_env()._(
            "Contact of %(name)s changed: %(changes)s", name=self.name, changes="; ".join(changes)
        )
        self.collection_id._log_event("contact_changed", signer_id=self.id, description=description[:500])
        self.collection_id._notify_preparer(
            lambda env: (
                Markup("<p>%s</p>")
                % env._("Contact of %(name)s changed: %(changes)s", name=self.name, changes="; ".join(shown))
            )
        )

    def _check_reorder(self, new_order):
        for signer in self:
            if signer.collection_id.state not in ("draft", "ready", "in_progress"):
                raise UserError(self.env._("The signing order can only change before the collection ends."))
            if signer.state in ("signed", "refused") and signer.signing_order != new_order:
                raise UserError(
                    self.env._("%s has already signed: their place in the order cannot change.", signer.name)
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_unlaunched(self):
        if any(signer.collection_id.state not in ("draft", "ready") for signer in self):
            raise UserError(self.env._("Signers of a launched collection cannot be removed."))

    # ------------------------------------------------------------------
    # Access link
    # ------------------------------------------------------------------

    def _issue_access_token(self):
        """A new random link token for this signer; only its SHA-256 is kept.

        Earlier tokens stay valid so that a reminder does not break the first e-mail's link; only the
        last ``ACCESS_TOKENS_KEPT`` are kept, so each check of a link stays short.
        """
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        hashes = (self.sudo().access_token_hashes or "").split()[-(ACCESS_TOKENS_KEPT - 1) :]
        self._esign_write({"access_token_hashes": "\n".join([*hashes, _token_digest(token)])})
        return token

    def _check_access_token(self, token):
        """Constant-time check of a link token against every token issued to this signer."""
        self.ensure_one()
        if not token:
            return False
        digest = _token_digest(token)
        matched = False
        for stored in (self.sudo().access_token_hashes or "").split():
            matched |= consteq(stored, digest)
        return matched

    def _get_signing_url(self, token):
        self.ensure_one()
        return f"{self.get_base_url()}/esign/sign/{self.id}/{token}"

    def _get_download_url(self, token, document):
        self.ensure_one()
        return f"{self.get_base_url()}/esign/download/{self.id}/{token}/{document.id}"

    # ------------------------------------------------------------------
    # Signing page (called by the controller once the token is checked)
    # ------------------------------------------------------------------

    @api.model
    def _portal_domain(self, partner):
        """The signatures a logged-in portal user may list and open: their own, once launched.

        Only their own: opening one hands out a signing link, so a colleague's would let them sign
        in someone else's name.
        """
        return [("partner_id", "=", partner.id), ("collection_id.state", "not in", PREPARATION_STATES)]

    def _portal_status(self):
        """What the signing page may show: 'to_sign', or why the signer cannot act."""
        self.ensure_one()
        status = self._portal_list_status()
        if status == "to_sign" and self._otp_blocked():
            return "blocked"
        return status

    def _portal_list_status(self):
        """The status of the signature as a list shows it, from states only (no query)."""
        self.ensure_one()
        collection_state = self.collection_id.state
        if collection_state in ("purged", "cancelled", "expired"):
            return collection_state
        if self.state == "signed":
            return "done" if collection_state == "done" else "signed"
        if self.state == "refused" or collection_state == "refused":
            return "refused"
        if collection_state != "in_progress":
            return "unavailable"
        if self.state == "waiting":
            return "waiting"
        return "to_sign"

    @api.model
    def _portal_status_labels(self):
        """The words and badge colours of each status in /my/esign."""
        labels = {
            "to_sign": self.env._("To sign"),
            "waiting": self.env._("Not your turn yet"),
            "signed": self.env._("Signed by you"),
            "done": self.env._("Completed"),
            "refused": self.env._("Refused"),
            "expired": self.env._("Expired"),
            "cancelled": self.env._("Cancelled"),
            "purged": self.env._("Deleted"),
            "unavailable": self.env._("Closed"),
            "blocked": self.env._("Blocked"),
        }
        colors = {
            "to_sign": "primary",
            "waiting": "secondary",
            "signed": "info",
            "done": "success",
            "refused": "danger",
            "expired": "warning",
            "cancelled": "secondary",
            "blocked": "danger",
        }
        return labels, colors

    def _portal_page_values(self, token=None):
        """What every page of the signer shows: the firm to contact, the documents, the deadline.

        The download links need the signer's own link token, and exist only once the collection is done.
        """
        self.ensure_one()
        collection = self.collection_id
        company = collection.company_id
        documents = collection.document_ids
        done = token and collection.state == "done"
        return {
            "company": company,
            "contact": {
                "name": company.name,
                "phone": company.phone or company.partner_id.mobile,
                "email": company.email,
            },
            "documents": documents,
            # Relative: the signer stays on the address they opened, whatever the configured base URL.
            "download_urls": {document.id: f"/esign/download/{self.id}/{token}/{document.id}" for document in documents}
            if done
            else {},
            "tz": collection.user_id.tz or company.partner_id.tz or "Europe/Paris",
        }

    def _portal_log_view(self, **evidence):
        self.ensure_one()
        self.collection_id._log_event(
            "viewed",
            signer_id=self.id,
            description=self.company_id._esign_env()._("Signing page opened by %s", self.name),
            **evidence,
        )

    def _log_download(self, document, **evidence):
        self.ensure_one()
        self.collection_id._log_event(
            "downloaded",
            signer_id=self.id,
            document_id=document.id,
            document_sha256=document.signed_sha256,
            description=self.company_id._esign_env()._(
                "%(file)s downloaded by %(name)s", file=document.name, name=self.name
            ),
            **evidence,
        )

    def _otp_blocked(self):
        """Blocked once the wrong tries over all the signer's codes, replaced ones included, reach the limit."""
        self.ensure_one()
        return self.env["esign.otp"]._signer_blocked(self)

    def _portal_request_code(self, **evidence):
        """Send a one-time code; ``{"masked": ...}`` or ``{"error": ...}``."""
        self.ensure_one()
        self._lock_for_update()
        if self._portal_status() != "to_sign":
            return {"error": self.env._("This signature can no longer be made: please reload the page.")}
        if not self.mobile:
            return {"error": self.env._("No mobile number is on file for you: please contact the firm.")}
        return self.env["esign.otp"]._request_for(self, **evidence)

    def _portal_sign(self, code, signature, accepted, **evidence):
        """Check everything the signer gave, then sign; ``{"signed": True}`` or ``{"error": ...}``.

        ``signature`` is the drawn signature as sent (PNG bytes, base64 or a data URL). The row lock
        makes a second submission (double click, second tab) wait, then find the signer already
        signed: it never signs twice. When signing fails after a right code (timestamp authority
        down...), the code stays usable: nothing of the attempt is kept.
        """
        self.ensure_one()
        self._lock_for_update()
        status = self._portal_status()
        if status in ("signed", "done"):
            return {"signed": True}
        if status != "to_sign":
            return {"error": self.env._("This signature can no longer be made: please reload the page.")}
        # What a JSON request carries is the caller's choice: anything but the expected types is refused.
        # ``field`` names the control the message is about, so that the page shows it there.
        if accepted is not True:
            return {
                "error": self.env._("Please accept the terms of use and the personal data policy."),
                "field": "terms",
            }
        if not signature or not isinstance(signature, str | bytes):
            return {"error": self.env._("Please draw your signature."), "field": "signature"}
        if not isinstance(code, str | int) or isinstance(code, bool):
            return {"error": self.env._("Type the code received by SMS: six digits."), "field": "code"}
        code = str(code)
        try:
            image = self._esign_signature_png(signature)
            with self.env.cr.savepoint():
                problem = self.env["esign.otp"]._verify_for(self, code, **evidence)
                if problem:
                    return {"error": problem, "field": "code", "reload": self._otp_blocked()}
                self._sign_documents(signature_image=image, evidence=evidence)
        except UserError as error:
            return {"error": error.args[0]}
        return {"signed": True}

    # ------------------------------------------------------------------
    # Turn, notification, signature, refusal
    # ------------------------------------------------------------------

    def _esign_mail_title(self):
        """The title of the e-mails a signer gets: what they are asked to sign, not their own name."""
        self.ensure_one()
        return self.collection_id.subject or self.collection_id.name

    def _give_turn(self):
        self._esign_write({"state": "to_sign", "notified_date": fields.Datetime.now()})
        self._send_signing_request()

    def _send_signing_request(self, reminder=False):
        """E-mail each signer a personal link; one proof event per e-mail."""
        now = fields.Datetime.now()
        for signer in self:
            if reminder:
                template = self.env.ref("engagement_letter_esign.mail_template_esign_reminder")
            elif any(other.state == "signed" for other in signer.collection_id.signer_ids):
                template = self.env.ref("engagement_letter_esign.mail_template_esign_your_turn")
            else:
                template = self.env.ref("engagement_letter_esign.mail_template_esign_request")
            url = signer._get_signing_url(signer._issue_access_token())
            template.sudo().with_context(signing_url=url).send_mail(
                signer.id, email_layout_xmlid="engagement_letter_esign.mail_layout_esign"
            )
            signer.collection_id._log_event(
                "notified",
                signer_id=signer.id,
                description=(
                    signer.company_id._esign_env()._("Reminder sent to %s", signer.email)
                    if reminder
                    else signer.company_id._esign_env()._("Invitation sent to %s", signer.email)
                ),
            )
        self._esign_write({"last_notification_date": now})

    def action_open_parapheur_sign(self):
        """Sign the selected lines of the parapheur with one code."""
        return {
            "type": "ir.actions.act_window",
            "res_model": "esign.parapheur.sign",
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Sign from the parapheur"),
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _lock_for_update(self):
        """Serialize concurrent submissions of the same signer (double click, second tab)."""
        self.env.cr.execute("SELECT id FROM esign_signer WHERE id = ANY(%s) FOR NO KEY UPDATE", [self.ids])
        self.invalidate_recordset(["state"])

    def _check_can_act(self):
        self.ensure_one()
        if self.collection_id.state != "in_progress":
            raise UserError(self.env._("This collection is no longer in progress: nothing can be signed or refused."))
        if self.state == "signed":
            raise UserError(self.env._("%s has already signed.", self.name))
        if self.state == "refused":
            raise UserError(self.env._("%s has refused to sign.", self.name))
        if self.state != "to_sign":
            raise UserError(self.env._("It is not yet the turn of %s to sign.", self.name))

    def _sign_documents(self, signature_image=None, evidence=None):
        """The signing step: sign every document of the collection for this signer, then record it.

        ``signature_image`` is the PNG the signer drew (bytes or base64); ``evidence`` holds extra
        proof event values (IP address, user agent...). Each PDF gets an incremental PAdES signature
        with a one-shot certificate whose key is dropped afterwards. Every document is signed before
        anything is written, so a failure (timestamp authority down...) leaves nothing behind.
        """
        self.ensure_one()
        self._lock_for_update()
        self._check_can_act()
        image = self._esign_signature_png(signature_image)
        # Checked above who acts: the signature covers the whole collection, whatever the actor may read.
        collection = self.collection_id.sudo()
        documents = collection.document_ids
        documents._esign_lock()
        documents._esign_check_not_sealed()
        company = collection.company_id
        credential = company._esign_issue_signer_credential(self.name, self.email)
        timestamper = company._esign_timestamper()
        stamp_text = self._esign_stamp_text(fields.Datetime.now())
        signed = [
            (
                document,
                document._esign_sign(
                    credential,
                    self._esign_field_name(),
                    stamp_text,
                    image_png=image,
                    timestamper=timestamper,
                    signer_name=self.name,
                ),
            )
            for document in documents
        ]
        # The seal of a last signer may still fail (timestamp authority...): then nothing of this step stays.
        with self.env.cr.savepoint():
            for document, data in signed:
                document._esign_store_revision(data)
            self._esign_write({"certificate_pem": credential.certificate_pem, "certificate_sha256": credential.sha256})
            return self._action_sign(**(evidence or {}))

    def _esign_field_name(self):
        self.ensure_one()
        return pades.SIGNER_FIELD % self.id

    def _esign_stamp_text(self, moment):
        """The words of the visible stamp, in the signer's language (else the firm's), the moment in
        the firm's time zone: whoever or whatever process signs, the stamp reads the same."""
        self.ensure_one()
        company = self.company_id or self.env.company
        installed = dict(self.env["res.lang"].get_installed())
        lang = self.lang or self.partner_id.lang
        signer = self.with_context(lang=lang if lang in installed else company._esign_lang())
        date, time = company._esign_local_moment(moment, signer.env.lang)
        return signer.env._(
            "Electronically signed by\n%(name)s\non %(date)s at %(time)s", name=self.name, date=date, time=time
        )

    def _esign_signature_png(self, signature_image):
        """The drawn signature as image bytes (accepts bytes, base64 or a data URL), or None.

        Raises UserError when it is not a readable image of at most ``MAX_SIGNATURE_BYTES``.
        """
        if not signature_image:
            return None
        data = signature_image
        if isinstance(data, bytes) and not data.startswith(IMAGE_MAGICS):
            data = data.decode("ascii", "replace")
        if isinstance(data, str):
            data = data.split(",", 1)[1] if data.startswith("data:") else data
            try:
                data = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                data = b""
        if len(data) > MAX_SIGNATURE_BYTES:
            raise UserError(self.env._("The drawn signature is too large: please draw it again."))
        try:
            with Image.open(io.BytesIO(data)) as picture:
                picture.verify()
        except Exception as exc:
            raise UserError(self.env._("The drawn signature is not a readable image: please draw it again.")) from exc
        return data

    def _action_sign(self, **evidence):
        """Record the signature of this signer and move the collection on.

        ``evidence`` holds extra proof event values (IP address, user agent...).
        The PDF signature itself is added by the signing step that calls this.
        """
        self.ensure_one()
        self._lock_for_update()
        self._check_can_act()
        collection = self.collection_id.sudo()
        self._esign_write({"state": "signed", "signed_date": fields.Datetime.now()})
        collection._log_document_events(
            "signed",
            collection.document_ids,
            signer_id=self.id,
            description=self.company_id._esign_env()._("Signed by %s", self.name),
            **evidence,
        )
        collection._post_template(
            "engagement_letter_esign.mail_template_esign_signed",
            "engagement_letter_esign.mt_signer_signed",
            esign_signer_name=self.name,
        )
        collection._notify_origin("signed", signer=self)
        collection._advance()
        return True

    @api.model
    def _refusal_reason_problem(self, reason):
        """``"empty"``, ``"long"`` or ``"control"`` when ``reason`` cannot be kept as a refusal reason, else None."""
        if not isinstance(reason, str) or not reason.strip():
            return "empty"
        if len(reason.strip()) > REFUSAL_REASON_MAX_LENGTH:
            return "long"
        return control_problem(reason, multiline=True)

    def _action_refuse(self, reason, **evidence):
        self.ensure_one()
        problem = self._refusal_reason_problem(reason)
        if problem == "empty":
            raise UserError(self.env._("Please give the reason for your refusal."))
        if problem == "long":
            raise UserError(self.env._("The reason is limited to %s characters.", REFUSAL_REASON_MAX_LENGTH))
        if problem == "control":
            raise UserError(self.env._("The reason cannot hold control characters."))
        reason = reason.strip()
        self._lock_for_update()
        self._check_can_act()
        self._esign_write({"state": "refused", "refused_date": fields.Datetime.now(), "refusal_reason": reason})
        collection = self.collection_id.sudo()
        collection._log_event("refused", signer_id=self.id, description=reason[:500], **evidence)
        collection._on_signer_refused(self, reason)
        return True
