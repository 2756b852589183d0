import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, create_index
from odoo.tools.misc import hash_sign, verify_hash_signed

from ..services import pades, stamp_layout
from ..services.pades_level import pades_level
from ..services.pdf_inspect import sha256_hex
from ..services.pdf_verify import PdfUnreadable, check_pdf_signatures
from ..services.text_input import control_problem

_logger = logging.getLogger(__name__)

COLLECTION_STATES = [
    ("draft", "Draft"),
    ("ready", "Waiting for launch"),
    ("in_progress", "In progress"),
    ("sealing", "Being sealed"),
    ("done", "Done"),
    ("refused", "Refused"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
    ("purged", "Purged"),
]
PREPARATION_STATES = ("draft", "ready")
# Kanban columns shown even when empty: the main path of a collection.
KANBAN_STATES = ("draft", "ready", "in_progress", "done")
ENDED_STATES = ("done", "refused", "expired", "cancelled")
# What the proof covers: once launched, the documents, the text sent and the origin cannot change.
FROZEN_AFTER_LAUNCH = (
    "subject",
    "email_subject",
    "email_body",
    "company_id",
    "on_behalf_of_id",
)
CRON_BATCH_SIZE = 500
# The texts of a document next to which a stamp goes when no {{signature:...}} tag marks its place.
STAMP_ANCHORS = {
    "client": ("Pour le client", "Lu et approuvé", "Bon pour accord", "For the client", "Read and approved"),
    "firm": ("Pour le cabinet", "For the firm"),
}
SEAL_RETRY_MINUTES = 5


class EsignCollection(models.Model):
    """A signature workflow: PDFs signed by an ordered list of signers."""

    _name = "esign.collection"
    _description = "Signature collection"
    _inherit = ["mail.thread", "mail.activity.mixin", "esign.workflow.guard", "esign.claim.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _esign_workflow_fields = (
        "state",
        "outcome",
        "launch_date",
        "deadline",
        "reminder_count",
        "last_reminder_date",
        "end_date",
        "purge_date",
        "purged_date",
        "refusal_reason",
        "refused_signer_id",
        "cancel_reason",
        "evidence_report_id",
        "evidence_report_due",
        "seal_attempt_date",
        "seal_error",
        "seal_attempts",
    )
    _esign_frozen_fields = ("name", "res_model", "res_id")

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    subject = fields.Char(required=True, tracking=True)
    state = fields.Selection(
        COLLECTION_STATES,
        string="Status",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        default="draft",
        group_expand="_group_expand_states",
    )
    outcome = fields.Selection(
        [(state, label) for state, label in COLLECTION_STATES if state in ENDED_STATES],
        readonly=True,
        copy=False,
        help="How the collection ended; kept after its documents are purged.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    user_id = fields.Many2one(
        "res.users",
        string="Preparer",
        required=True,
        index=True,
        tracking=True,
        default=lambda self: self.env.user,
        check_company=True,
        domain=[("share", "=", False)],
    )
    document_ids = fields.One2many("esign.document", "collection_id", string="Documents", copy=True)
    signer_ids = fields.One2many("esign.signer", "collection_id", string="Signers", copy=True)
    event_ids = fields.One2many("esign.event", "collection_id", string="Proof journal", readonly=True)
    copy_partner_ids = fields.Many2many(
        "res.partner",
        string="Copy recipients",
        help="They receive the download link of the signed documents, without signing.",
    )
    email_subject = fields.Char(string="E-mail subject")
    email_body = fields.Html(string="E-mail message", sanitize_style=True)

    launch_date = fields.Datetime(readonly=True, copy=False)
    deadline = fields.Datetime(readonly=True, copy=False, tracking=True)
    reminder_count = fields.Integer(string="Reminders", readonly=True, copy=False)
    last_reminder_date = fields.Datetime(readonly=True, copy=False)
    end_date = fields.Datetime(readonly=True, copy=False)
    purge_date = fields.Datetime(readonly=True, copy=False)
    purged_date = fields.Datetime(readonly=True, copy=False)
    refusal_reason = fields.Text(readonly=True, copy=False)
    refused_signer_id = fields.Many2one("esign.signer", string="Refused by", readonly=True, copy=False)
    cancel_reason = fields.Text(string="Cancellation reason", readonly=True, copy=False)

    evidence_report_id = fields.Many2one(
        "ir.attachment",
        string="Evidence report",
        readonly=True,
        copy=False,
        help="Generated when the collection is done; kept after its documents are purged.",
    )
    evidence_report_due = fields.Boolean(readonly=True, copy=False)
    seal_attempt_date = fields.Datetime(string="Last sealing attempt", readonly=True, copy=False)
    seal_error = fields.Char(string="Sealing problem", readonly=True, copy=False)
    seal_attempts = fields.Integer(
        string="Failed sealing attempts",
        readonly=True,
        copy=False,
        help="Each failed attempt doubles the wait before the next one (from 5 minutes to 12 hours at most).",
    )
    res_model = fields.Char(string="Related document model", index=True, copy=False)
    res_id = fields.Many2oneReference(string="Related document ID", model_field="res_model", copy=False)

    document_count = fields.Integer(compute="_compute_progress", compute_sudo=True)
    signer_count = fields.Integer(compute="_compute_progress", compute_sudo=True)
    signed_count = fields.Integer(compute="_compute_progress", compute_sudo=True)
    progress = fields.Char(string="Signatures", compute="_compute_progress", compute_sudo=True)
    signer_names = fields.Char(string="Signer names", compute="_compute_progress", compute_sudo=True)
    sealed_date = fields.Datetime(
        string="Sealed on",
        compute="_compute_sealed_date",
        compute_sudo=True,
        help="When the firm's seal closed the last document of the collection.",
    )
    my_signer_id = fields.Many2one(
        "esign.signer",
        compute="_compute_my_signer_id",
        help="The current user's own signer line when it is their turn to sign.",
    )

    _sql_constraints = [
        ("reminder_count_positive", "CHECK(reminder_count >= 0)", "The reminder count cannot be negative."),
    ]

    def init(self):  # pylint: disable=missing-return
        super().init()
        # The crons find due rows through these partial indexes, whatever the table size.
        create_index(
            self.env.cr,
            "esign_collection_deadline_in_progress_idx",
            self._table,
            ["deadline"],
            where="state = 'in_progress'",
        )
        create_index(
            self.env.cr,
            "esign_collection_purge_date_ended_idx",
            self._table,
            ["purge_date"],
            where="state IN ('done', 'refused', 'expired', 'cancelled')",
        )
        create_index(
            self.env.cr,
            "esign_collection_evidence_report_due_idx",
            self._table,
            ["id"],
            where="evidence_report_due",
        )
        create_index(
            self.env.cr,
            "esign_collection_sealing_idx",
            self._table,
            ["id"],
            where="state = 'sealing'",
        )

    @api.constrains("subject", "email_subject")
    def _check_single_line_texts(self):
        """A line break in an e-mail subject would make every e-mail of the collection fail."""
        for collection in self:
            for name in ("subject", "email_subject"):
                if control_problem(collection[name]):
                    raise ValidationError(
                        self.env._(
                            "%(field)s must be a single line of text, without line breaks or control characters.",
                            field=self._fields[name].get_description(self.env)["string"],
                        )
                    )

    @api.model
    def _group_expand_states(self, states, domain):
        """Kanban columns in the order of the workflow: its main steps always, the others when used."""
        return [state for state, _label in COLLECTION_STATES if state in KANBAN_STATES or state in states]

    @api.depends("document_ids.sealed_date")
    def _compute_sealed_date(self):
        for collection in self:
            dates = collection.document_ids.filtered("sealed_date").mapped("sealed_date")
            collection.sealed_date = max(dates) if dates else False

    @api.depends("document_ids", "signer_ids.state", "signer_ids.name")
    def _compute_progress(self):
        """Counted on the whole collection, whatever lines the reader may see (a co-signer sees theirs)."""
        signers = (
            self.env["esign.signer"]
            .sudo()
            .search([("collection_id", "in", self.ids)], order="signing_order, id")
            .grouped("collection_id")
        )
        documents = dict(
            self.env["esign.document"]
            .sudo()
            ._read_group([("collection_id", "in", self.ids)], ["collection_id"], ["__count"])
        )
        for collection in self:
            if collection._origin:
                lines = signers.get(collection._origin.sudo(), self.env["esign.signer"])
                collection.document_count = documents.get(collection._origin.sudo(), 0)
            else:  # being drafted in a form: the lines typed so far
                lines = collection.signer_ids.sorted(lambda s: (s.signing_order, s.id))
                collection.document_count = len(collection.document_ids)
            collection.signer_count = len(lines)
            collection.signed_count = len(lines.filtered(lambda s: s.state == "signed"))
            collection.progress = f"{collection.signed_count} / {collection.signer_count}"
            collection.signer_names = ", ".join(lines.mapped("name"))

    @api.depends_context("uid")
    @api.depends("signer_ids.state", "signer_ids.partner_id", "state")
    def _compute_my_signer_id(self):
        partner = self.env.user.partner_id
        for collection in self:
            mine = collection.signer_ids.filtered(lambda s: s.partner_id == partner and s.state == "to_sign")
            collection.my_signer_id = mine[:1] if collection.state == "in_progress" else False

    def action_open_sign_wizard(self):
        """The firm's signatory signs here, with the same SMS code as a client."""
        self.ensure_one()
        if not self.my_signer_id:
            raise UserError(self.env._("It is not your turn to sign this collection."))
        wizard = self.env["esign.sign.wizard"].create({"signer_id": self.my_signer_id.id})
        return wizard._reopen()

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("esign.collection") or "/"
        collections = super(EsignCollection, self.with_context(esign_defer_document_events=True)).create(vals_list)
        collections = collections.with_env(self.env)
        for collection in collections:
            collection.message_subscribe(partner_ids=collection.user_id.partner_id.ids)
        collections._log_event("created")
        collections.document_ids._log_added()
        return collections

    def write(self, vals):
        frozen = sorted(set(vals) & set(FROZEN_AFTER_LAUNCH))
        if frozen and not self._esign_in_workflow() and any(c.state not in PREPARATION_STATES for c in self):
            self.check_access("write")
            raise UserError(
                self.env._(
                    "%(fields)s cannot change once the collection is launched: the proof covers them.",
                    fields=", ".join(self._fields[name].get_description(self.env)["string"] for name in frozen),
                )
            )
        if vals.get("user_id"):
            partner = self.env["res.users"].browse(vals["user_id"]).partner_id
            self.message_subscribe(partner_ids=partner.ids)
        reassigned = (
            self.filtered(lambda c: c.state not in PREPARATION_STATES and c.user_id.id != vals["user_id"])
            if "user_id" in vals
            else self.browse()
        )
        result = super().write(vals)
        if "user_id" in vals:
            for collection in reassigned:
                collection._log_event(
                    "reassigned",
                    description=collection.company_id._esign_env()._("Preparer: %s", collection.user_id.name)[:500],
                )
        return result

    @api.constrains("user_id")
    def _check_preparer_is_internal(self):
        if any(collection.user_id.share for collection in self):
            raise ValidationError(self.env._("The preparer of a collection must be a user of the firm."))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_unlaunched(self):
        if any(collection.state not in PREPARATION_STATES for collection in self):
            raise UserError(
                self.env._("A collection that was launched is kept for its proof: cancel it instead of deleting it.")
            )

    def copy_data(self, default=None):
        """A copy holds every signer's contact: made by those who may change the collection only."""
        self.check_access("write")
        return super().copy_data(default=default)

    def unlink(self):
        """A draft goes with its journal; the journal of a launched collection is never deleted."""
        self._unlink_only_unlaunched()
        self.env["esign.event"].sudo().search([("collection_id", "in", self.ids)])._esign_unlink()
        return super().unlink()

    # ------------------------------------------------------------------
    # Proof journal and chatter
    # ------------------------------------------------------------------

    def _log_event(self, event_type, **values):
        """One proof event per collection of self, created in one batch."""
        if not self:
            return self.env["esign.event"]
        return self.env["esign.event"]._esign_create(
            [dict(values, collection_id=collection.id, event_type=event_type) for collection in self]
        )

    def _log_document_events(self, event_type, documents, **values):
        """One proof event per document of this collection, each naming its current revision,
        created in one batch (one lock and one look-up of the chain's head)."""
        self.ensure_one()
        if not documents:
            return self.env["esign.event"]
        return self.env["esign.event"]._esign_create(
            [
                dict(
                    values,
                    collection_id=self.id,
                    event_type=event_type,
                    document_id=document.id,
                    document_sha256=document.signed_sha256,
                )
                for document in documents
            ]
        )

    def _preparer_env(self):
        """An environment speaking the preparer's language (else the firm's): the notes and activities
        of a collection are theirs to read, whoever's step it was (a client, a scheduled action)."""
        self.ensure_one()
        lang = self.user_id.lang
        if lang not in dict(self.env["res.lang"].get_installed()):
            lang = self.company_id._esign_lang()
        return self.with_context(lang=lang).env

    def _notify_preparer(self, body, subtype_xmlid="mail.mt_note"):
        """Post a step on the chatter and make sure the preparer hears of it; ``body`` is the note, or
        a function of an environment that writes it in the preparer's language."""
        for collection in self:
            collection.message_post(
                body=body(collection._preparer_env()) if callable(body) else body,
                subtype_xmlid=subtype_xmlid,
                partner_ids=collection.user_id.partner_id.ids,
            )

    def action_verify_event_chain(self):
        self.ensure_one()
        altered = self._verify_event_chain()
        if altered:
            message = self.env._(
                "The proof journal is broken at event #%(sequence)s (%(event)s of %(date)s): it was altered.",
                sequence=altered.sequence,
                event=altered.event_type,
                date=altered.timestamp,
            )
            notification_type = "danger"
        else:
            message = self.env._(
                "The proof journal is intact: %(count)s events, chained up to %(hash)s.",
                count=len(self.event_ids),
                hash=self.event_ids[-1:].hash,
            )
            notification_type = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": notification_type, "sticky": bool(altered)},
        }

    def _verify_event_chain(self):
        """The first altered event of the journal, or an empty recordset when it is intact."""
        self.ensure_one()
        events = self.env["esign.event"].sudo().search([("collection_id", "=", self.id)], order="sequence")
        return events._first_altered()

    # ------------------------------------------------------------------
    # Launch
    # ------------------------------------------------------------------

    def _launch_problems(self):
        """Human-readable list of what prevents the launch."""
        self.ensure_one()
        problems = []
        if not self.company_id.esign_enabled:
            problems.append(self.env._("Electronic signature is disabled in the settings of %s.", self.company_id.name))
        if not self.document_ids:
            problems.append(self.env._("Add at least one PDF document."))
        if not self.signer_ids:
            problems.append(self.env._("Add at least one signer."))
        for signer in self.signer_ids.sorted("signing_order"):
            problems.extend(signer._launch_problems())
        if self.signer_ids:
            for document in self.document_ids.filtered(lambda d: not d.purged and (d.original_pdf or d.signed_pdf)):
                try:
                    document._esign_compute_layout()
                except UserError as error:
                    problems.append(str(error.args[0]))
        return problems

    def _check_launchable(self):
        for collection in self:
            if collection.state not in PREPARATION_STATES:
                raise UserError(self.env._("Only a draft or waiting collection can be launched."))
            problems = collection._launch_problems()
            if problems:
                raise UserError(
                    self.env._("The collection %s cannot be launched yet:", collection.name)
                    + "\n- "
                    + "\n- ".join(problems)
                )

    def action_mark_ready(self):
        """Prepared and checked: waiting for someone to launch it."""
        self.check_access("write")
        self.filtered(lambda c: c.state == "draft")._check_launchable()
        for collection in self:
            if collection.state != "draft":
                raise UserError(self.env._("Only a draft collection can be marked as ready."))
        self._esign_write({"state": "ready"})
        return True

    def action_launch(self):
        # The workflow writes past the record rules: who may launch is checked here.
        self.check_access("write")
        self._check_launchable()
        self._esign_certify_documents()
        now = fields.Datetime.now()
        for collection in self:
            collection._esign_write(
                {
                    "state": "in_progress",
                    "launch_date": now,
                    "deadline": now + timedelta(days=collection.company_id.esign_expiry_days),
                }
            )
        self._log_event("launched")
        self._notify_preparer(lambda env: Markup("<p>%s</p>") % env._("The collection was launched."))
        self._notify_origin("launched")
        self._advance()
        return True

    # ------------------------------------------------------------------
    # Turns: who signs now
    # ------------------------------------------------------------------

    def _advance(self):
        """Give the turn to the next group of signers, or queue the seal once everyone has signed."""
        for collection in self.filtered(lambda c: c.state == "in_progress"):
            pending = collection.signer_ids.filtered(lambda s: s.state in ("waiting", "to_sign"))
            if not pending:
                collection._queue_seal()
                continue
            groups = pending.grouped("signing_order")
            current = groups[min(groups)]
            (pending - current).filtered(lambda s: s.state == "to_sign")._esign_write({"state": "waiting"})
            newcomers = current.filtered(lambda s: s.state == "waiting")
            if newcomers:
                newcomers._give_turn()

    def _queue_seal(self):
        """Everyone has signed: the seal and the closing follow in a scheduled action woken at once.

        A signer's request thus carries only their own signature, and a seal that fails (timestamp
        authority down...) is retried without touching what the signers signed.
        """
        self._esign_write({"state": "sealing", "seal_error": False, "seal_attempts": 0})
        self.env.ref("engagement_letter_esign.ir_cron_esign_seal").sudo()._trigger()

    def _seal_and_complete(self):
        """Seal and close each collection on its own: one that fails keeps its signatures and is retried."""
        sealing = {}
        for collection in self:
            now = fields.Datetime.now()
            try:
                with self.env.cr.savepoint():
                    collection._esign_seal_documents(sealing)
                    collection._esign_write({"seal_attempt_date": now, "seal_error": False})
                    collection._complete()
            # Any failure, expected or not, stays with its collection: it must not hold the queue up.
            except Exception as error:  # pylint: disable=broad-exception-caught
                if isinstance(error, UserError):
                    message = str(error.args[0])[:250]
                    _logger.warning("Sealing of %s failed, to retry: %s", collection.name, message)
                else:
                    message = self.env._("Unexpected error, written in the server log.")
                    _logger.exception("Sealing of %s failed, to retry", collection.name)
                if not collection.seal_attempts:
                    # Told once: the queue retries on its own, waiting longer each time.
                    collection._notify_preparer(
                        lambda env, message=message: (
                            Markup("<p>%s</p><p>%s</p>")
                            % (env._("The seal could not be applied yet; it will be retried."), message)
                        )
                    )
                collection._esign_write(
                    {"seal_attempt_date": now, "seal_error": message, "seal_attempts": collection.seal_attempts + 1}
                )

    def _complete(self):
        self._end("done")
        self._log_event("completed")
        self._notify_preparer(
            lambda env: Markup("<p>%s</p>") % env._("Every signer has signed: the collection is done."),
            subtype_xmlid="engagement_letter_esign.mt_collection_done",
        )
        self._on_done()
        self._send_completion_links()
        self._notify_origin("done")

    def _esign_mail_title(self):
        """The title of the e-mails about this collection (see the layout ``mail_layout_esign``)."""
        self.ensure_one()
        return self.subject or self.name

    def _send_completion_links(self):
        """E-mail every signer and copy recipient a personal download link per document, never the files."""
        template = self.env.ref("engagement_letter_esign.mail_template_esign_completed").sudo()
        for collection in self:
            recipients = []
            for signer in collection.signer_ids.filtered("email"):
                token = signer._issue_access_token()
                links = [(doc.name, signer._get_download_url(token, doc)) for doc in collection.document_ids]
                recipients.append((signer.name, signer.email, signer.lang, links))
            for partner in collection.copy_partner_ids.filtered("email"):
                links = [(doc.name, collection._get_copy_download_url(partner, doc)) for doc in collection.document_ids]
                recipients.append((partner.name, partner.email, partner.lang, links))
            for name, email, lang, links in recipients:
                template.with_context(
                    esign_recipient_name=name,
                    esign_recipient_email=email,
                    esign_recipient_lang=lang,
                    esign_download_links=links,
                ).send_mail(collection.id, email_layout_xmlid="engagement_letter_esign.mail_layout_esign")

    def _get_copy_download_url(self, partner, document):
        """A signed, expiring-with-the-retention link for a copy recipient (who has no signer token)."""
        self.ensure_one()
        values = {"c": self.id, "p": partner.id, "d": document.id}
        payload = hash_sign(self.env(su=True), "esign-copy", values, expiration=self.purge_date)
        return f"{self.get_base_url()}/esign/copy/{payload}"

    @api.model
    def _check_copy_download(self, payload):
        """The (collection, partner, document) a copy link is for, sudoed, or None."""
        try:
            values = verify_hash_signed(self.env(su=True), "esign-copy", payload)
        except (ValueError, TypeError):
            return None
        if not values:
            return None
        collection_sudo = self.sudo().browse(values["c"]).exists()
        partner = collection_sudo.copy_partner_ids.filtered(lambda p: p.id == values["p"])
        document = collection_sudo.document_ids.filtered(lambda d: d.id == values["d"])
        if not (collection_sudo and partner and document):
            return None
        return collection_sudo, partner, document

    def _log_copy_download(self, partner, document, **evidence):
        self.ensure_one()
        self._log_event(
            "downloaded",
            document_id=document.id,
            document_sha256=document.signed_sha256,
            description=self.company_id._esign_env()._(
                "%(file)s downloaded by %(name)s (copy)", file=document.name, name=partner.name
            ),
            **evidence,
        )

    def _post_template(self, template_xmlid, subtype_xmlid, **context):
        """Post an editable template on the chatter; the template notifies the preparer."""
        template = self.env.ref(template_xmlid)
        for collection in self:
            collection.with_context(**context).message_post_with_source(template, subtype_xmlid=subtype_xmlid)

    def _on_done(self):
        """What follows a sealed, completed collection: the evidence report, made by a scheduled action
        woken at once (wkhtmltopdf takes about a second a report)."""
        self._esign_write({"evidence_report_due": True})
        self.env.ref("engagement_letter_esign.ir_cron_esign_evidence_report").sudo()._trigger()

    # ------------------------------------------------------------------
    # PAdES: field layout and seal
    # ------------------------------------------------------------------

    def _esign_stamp_signers(self):
        self.ensure_one()
        return self.signer_ids.sorted(lambda s: (s.signing_order, s.id))

    def _esign_field_labels(self):
        """(field name, tooltip) of every signature field, in stamp order: signers, then the seal."""
        self.ensure_one()
        labels = [(signer._esign_field_name(), signer.name) for signer in self._esign_stamp_signers()]
        labels.append((pades.SEAL_FIELD, self.env._("Seal of %s", self.company_id.name)))
        return labels

    def _esign_field_places(self):
        """Every signature field of the collection's documents, without a place (the layout gives it)."""
        return [pades.FieldPlace(name, label) for name, label in self._esign_field_labels()]

    def _esign_stamp_slots(self, anchor_text=None):
        """Where to look for each stamp: its rank's tag, its role's tag, then the anchor texts."""
        self.ensure_one()
        custom = (anchor_text,) if anchor_text else ()
        slots = []
        for rank, signer in enumerate(self._esign_stamp_signers(), start=1):
            role_tags = {"client": ("client",), "firm": ("firm",)}.get(signer.role, ())
            slots.append(
                stamp_layout.Slot(
                    signer._esign_field_name(),
                    tags=(str(rank), *role_tags),
                    anchors=custom + STAMP_ANCHORS.get(signer.role, STAMP_ANCHORS["client"]),
                )
            )
        slots.append(stamp_layout.Slot(pades.SEAL_FIELD, tags=("seal",), anchors=custom + STAMP_ANCHORS["firm"]))
        return slots

    def _esign_signature_page(self, document, pages):
        """The signature page appended to ``document`` (``pages``: its pages read), in the firm's
        language: the signers listed, one block per signer and one for the seal."""
        self.ensure_one()
        collection = self.with_context(lang=self.company_id._esign_lang())
        roles = dict(collection.env["esign.signer"]._fields["role"]._description_selection(collection.env))
        signers = collection._esign_stamp_signers()
        lines = [
            collection.env._("%(rank)s. %(name)s, %(role)s", rank=rank, name=signer.name, role=roles.get(signer.role))
            for rank, signer in enumerate(signers, start=1)
        ]
        labels = [
            collection.env._("%(name)s (%(role)s)", name=signer.name, role=roles.get(signer.role)) for signer in signers
        ]
        labels.append(collection.env._("Seal of %s", self.company_id.name))
        intro = collection.env._(
            "This page is part of the document “%(file)s” (%(count)s page(s) before it). "
            "It holds the electronic signatures of:",
            file=document.name,
            count=len(pages),
        )
        return stamp_layout.signature_page(
            len(pages),
            pages[-1].media,
            pades.latin_text(collection.env._("Signature page")),
            (pades.latin_text(intro),),
            tuple(pades.latin_text(line) for line in lines),
            [pades.latin_text(label) for label in labels],
        )

    def _esign_seal_stamp_text(self):
        """The words of the seal's stamp, in the firm's language and time zone (whoever runs the seal)."""
        self.ensure_one()
        company = self.company_id
        collection = self.with_context(lang=company._esign_lang())
        date, time = company._esign_local_moment(fields.Datetime.now(), collection.env.lang)
        return collection.env._(
            "Sealed by\n%(company)s\non %(date)s at %(time)s", company=company.name, date=date, time=time
        )

    def _esign_certify_documents(self):
        """The firm certifies each document before anyone signs: every signature field laid out, then
        only signing allowed. Done at launch, so that a signer's request carries only their signature.

        All documents are certified before anything is written, so a failure launches nothing.
        """
        for collection in self:
            company = collection.company_id
            credential = company._esign_seal_credential()
            timestamper = company._esign_timestamper()
            layouts = {doc: doc._esign_compute_layout() for doc in collection.document_ids}
            certified = []
            for doc, (layout, signature_page) in layouts.items():
                boxes = {p.name: (p.page, p.box.rounded()) for p in layout.placements}
                labels = collection._esign_field_labels()
                places = [pades.FieldPlace(name, label, *boxes[name]) for name, label in labels]
                certified.append((doc, doc._esign_certify(places, credential, timestamper, signature_page)))
            if timestamper is not None:
                company._esign_learn_tsa_chain(list(timestamper.cert_registry))
            for document, (layout, signature_page) in layouts.items():
                document._esign_write(document._esign_layout_values(layout, signature_page))
            collection._esign_tell_fallbacks(layouts)
            certified = [(document, data) for document, data in certified if data is not None]
            for document, data in certified:
                document._esign_store_revision(data)
            collection._log_document_events(
                "certified",
                self.env["esign.document"].union(*(document for document, _data in certified)),
                description=company._esign_env()._("Certified by %s", company.name)[:250],
            )

    def _esign_tell_fallbacks(self, layouts):
        """Tell the preparer, on the chatter and in their language, which documents got their stamps
        on a signature page although another placement was asked, and why."""
        self.ensure_one()

        def note(env, document, layout):
            reason = {
                "no_anchor": env._("no anchor text was found in it"),
                "overlap": env._("the stamps would have covered its text"),
            }[layout.fallback]
            if layout.free:
                message = env._(
                    "“%(file)s”: %(reason)s; it was signed before, so no page can be added: the stamps go "
                    "in free space of its pages.",
                    file=document.name,
                    reason=reason,
                )
            else:
                message = env._(
                    "“%(file)s”: %(reason)s, so the stamps go on a signature page added at its end.",
                    file=document.name,
                    reason=reason,
                )
            return Markup("<p>%s</p>") % message

        for document, (layout, _page) in layouts.items():
            if layout.fallback:
                self._notify_preparer(lambda env, document=document, layout=layout: note(env, document, layout))

    def _esign_seal_documents(self, sealing=None):
        """Seal every document with the firm's certificate, a locking signature; then, with a timestamp
        authority, embed the validation data and add a document timestamp (PAdES B-LTA).

        All documents are sealed before anything is written, so a failure changes nothing.
        ``sealing`` caches, per company, what every collection of a run shares.
        """
        sealing = {} if sealing is None else sealing
        for collection in self:
            documents = collection.document_ids.filtered(lambda d: not d.sealed_date and not d.purged)
            if not documents:
                continue
            documents._esign_lock()
            company = collection.company_id
            if company not in sealing:
                sealing[company] = company._esign_sealing_tools()
            credential, timestamper, context = sealing[company]
            text = collection._esign_seal_stamp_text()
            sealed = [
                (
                    document,
                    document._esign_sign(
                        credential,
                        pades.SEAL_FIELD,
                        text,
                        timestamper=timestamper,
                        signer_name=company.name,
                        long_term=context,
                        archive=bool(timestamper),
                    ),
                )
                for document in documents
            ]
            # Never done with incomplete validation data: each file must prove B-LTA by itself.
            levels = {document: document._esign_check_long_term(data, bool(timestamper)) for document, data in sealed}
            now = fields.Datetime.now()
            for document, data in sealed:
                document._esign_store_revision(data)
                document._esign_write({"sealed_date": now, **levels[document]})
            collection._log_document_events(
                "sealed",
                documents,
                description=(
                    company._esign_env()._("Sealed by %s, validation data and document timestamp added", company.name)
                    if timestamper
                    else company._esign_env()._("Sealed by %s", company.name)
                )[:250],
            )

    # ------------------------------------------------------------------
    # Evidence report
    # ------------------------------------------------------------------

    def _evidence_report_filename(self):
        self.ensure_one()
        return f"{self._evidence_report_title()}.pdf"

    def _evidence_report_title(self):
        """The report's name in the firm's language, also its file name: "Rapport de preuve - COL-2026-0001"."""
        self.ensure_one()
        return self.company_id._esign_env()._("Evidence report - %s", self.name.replace("/", "-"))

    def _attach_evidence_report(self):
        """Render the evidence report of each collection and keep it as an attachment of the collection.

        The attachment is not one of the documents' PDF fields, so the purge leaves it.
        """
        report = self.env.ref("engagement_letter_esign.action_report_esign_evidence").sudo()
        for collection in self:
            pdf, _format = report.with_context(force_report_rendering=True)._render_qweb_pdf(
                report.report_name, res_ids=collection.ids
            )
            previous = collection.evidence_report_id
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": collection._evidence_report_filename(),
                        "raw": pdf,
                        "mimetype": "application/pdf",
                        "res_model": collection._name,
                        "res_id": collection.id,
                        "company_id": collection.company_id.id,
                    }
                )
            )
            collection._esign_write({"evidence_report_id": attachment.id, "evidence_report_due": False})
            previous._esign_unlink_attachment()
            collection._log_event(
                "evidence_report",
                document_sha256=sha256_hex(pdf),
                description=attachment.name,
            )
        self.filtered(lambda c: c.state == "done")._notify_origin("evidence_report")
        return True

    def action_generate_evidence_report(self):
        """Rebuild the evidence report on demand (for instance after a refusal or an expiry)."""
        self.check_access("write")
        self._attach_evidence_report()
        return self.action_download_evidence_report()

    def action_download_evidence_report(self):
        self.ensure_one()
        if not self.evidence_report_id:
            raise UserError(self.env._("This collection has no evidence report yet."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.evidence_report_id.id}?download=true",
            "target": "self",
        }

    def _evidence_signatures(self):
        """What the final PDF of each document says about its signatures: {document id: [SignatureCheck]}."""
        self.ensure_one()
        roots = self.company_id._esign_verification_roots()
        result = {}
        for document in self.document_ids:
            data = document._current_pdf()
            try:
                result[document.id] = check_pdf_signatures(data, roots) if data else []
            except PdfUnreadable:
                result[document.id] = []
        return result

    def _evidence_levels(self):
        """The PAdES level each document's final PDF reaches by itself, with what the next level lacks:
        {document id: (level, [sentences])}."""
        self.ensure_one()
        result = {}
        for document in self.document_ids:
            data = document._current_pdf()
            if not data:
                continue
            try:
                report = pades_level(data)
            except (ValueError, KeyError, TypeError):
                continue
            result[document.id] = (report.level or self.env._("none"), document._esign_level_explanation(report))
        return result

    def _notify_origin(self, event, signer=None):
        """Tell the records the collections were made for (an engagement letter...) what happened.

        The origin model opts in by defining ``_on_esign_collection_event(collections, event, signer)``;
        "evidence_report" follows "done" once the evidence report is attached.
        """
        with_origin = self.filtered(lambda c: c.res_model and c.res_id)
        for (res_model, company), collections in with_origin.grouped(lambda c: (c.res_model, c.company_id)).items():
            model = self.env.get(res_model)
            if model is not None and hasattr(model, "_on_esign_collection_event"):
                # What the firm's records say, they say in the firm's language, whoever's step it was.
                model = model.with_context(lang=company._esign_lang())
                model._on_esign_collection_event(collections.with_env(model.env), event, signer=signer)

    def _end(self, outcome):
        now = fields.Datetime.now()
        for company, collections in self.grouped("company_id").items():
            collections._esign_write(
                {
                    "state": outcome,
                    "outcome": outcome,
                    "end_date": now,
                    "purge_date": now + timedelta(days=company.esign_retention_days),
                }
            )

    # ------------------------------------------------------------------
    # Remind, reorder, cancel, refuse
    # ------------------------------------------------------------------

    def action_remind(self):
        """Notify the current signers again and push the deadline further."""
        self.check_access("write")
        for collection in self:
            if collection.state == "sealing":
                raise UserError(self.env._("Every signer has signed %s: it is being sealed.", collection.name))
            if collection.state not in ("in_progress", "expired"):
                raise UserError(self.env._("Only a collection in progress or expired can be reminded."))
        now = fields.Datetime.now()
        for collection in self:
            extension = timedelta(days=collection.company_id.esign_extension_days)
            base = collection.deadline if collection.state == "in_progress" and collection.deadline > now else now
            collection._esign_write(
                {
                    "state": "in_progress",
                    "outcome": False,
                    "end_date": False,
                    "purge_date": False,
                    "deadline": base + extension,
                    "reminder_count": collection.reminder_count + 1,
                    "last_reminder_date": now,
                }
            )
            collection._log_event(
                "reminded",
                description=self.env._("Deadline pushed to %s", fields.Datetime.to_string(collection.deadline)),
            )
            collection.signer_ids.filtered(lambda s: s.state == "to_sign")._send_signing_request(reminder=True)
        self._notify_preparer(
            lambda env: Markup("<p>%s</p>") % env._("The signers were reminded and the deadline pushed.")
        )
        return True

    def action_open_cancel_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel the collection"),
            "res_model": "esign.collection.cancel",
            "view_mode": "form",
            "target": "new",
            "context": {"default_collection_id": self.id},
        }

    def _action_cancel(self, reason):
        self.check_access("write")
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(self.env._("Give the reason for the cancellation."))
        if control_problem(reason, multiline=True):
            raise UserError(self.env._("The reason cannot hold control characters."))
        for collection in self:
            if collection.state == "sealing":
                raise UserError(self.env._("Every signer has signed %s: it is being sealed.", collection.name))
            if collection.state not in (*PREPARATION_STATES, "in_progress"):
                raise UserError(self.env._("Only a collection not yet ended can be cancelled."))
        self._end("cancelled")
        self._esign_write({"cancel_reason": reason.strip()})
        self._log_event("cancelled", description=reason.strip()[:500])
        self._notify_preparer(
            lambda env: Markup("<p>%s</p><p>%s</p>") % (env._("The collection was cancelled."), reason.strip()),
            subtype_xmlid="engagement_letter_esign.mt_collection_stopped",
        )
        self._notify_origin("cancelled")
        return True

    def _on_signer_refused(self, signer, reason):
        self.ensure_one()
        self._end("refused")
        self._esign_write({"refusal_reason": reason, "refused_signer_id": signer.id})
        self._post_template(
            "engagement_letter_esign.mail_template_esign_refused", "engagement_letter_esign.mt_collection_stopped"
        )
        self._notify_origin("refused", signer=signer)

    # ------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------

    @api.model
    def _due(self, condition, *params):
        """The collections a scheduled action processes: ``condition`` on the table aliased ``claimed``."""
        return SQL("FROM esign_collection claimed WHERE %s", SQL(condition, *params))

    @api.model
    def _esign_process_due(self, due, process, chunk_size, order=None):
        """Each firm's collections in the firm's language, that of the notes and activities its people read."""

        def process_in_firm_lang(batch):
            for company, collections in batch.grouped("company_id").items():
                process(collections.with_context(lang=company._esign_lang()))

        return super()._esign_process_due(due, process_in_firm_lang, chunk_size, order)

    @api.model
    def _cron_expire(self, batch_size=CRON_BATCH_SIZE):
        """Expire the collections in progress whose deadline has passed."""
        return self._esign_process_due(
            self._due("claimed.state = 'in_progress' AND claimed.deadline <= %s", fields.Datetime.now()),
            lambda batch: batch._expire(),
            batch_size,
        )

    def _expire(self):
        self.with_context(tracking_disable=True)._end("expired")
        self._log_event("expired")
        template = self.env.ref("engagement_letter_esign.mail_template_esign_expired").sudo()
        for collection in self:
            template.send_mail(collection.id, email_layout_xmlid="engagement_letter_esign.mail_layout_esign")
        self._message_log_batch(
            {
                collection.id: Markup("<p>%s</p>")
                % collection._preparer_env()._("The deadline passed: the collection expired.")
                for collection in self
            }
        )
        self._schedule_preparer_activity(
            "engagement_letter_esign.mail_activity_type_esign_expired",
            lambda env: env._("Expired collection: remind the signers or cancel it"),
        )
        self._notify_origin("expired")

    def _schedule_preparer_activity(self, activity_type_xmlid, summary):
        """One activity per collection for its preparer, created in one batch; ``summary`` is the text, or
        a function of an environment that writes it in the preparer's language."""
        activity_type = self.env.ref(activity_type_xmlid)
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": collection.id,
                    "activity_type_id": activity_type.id,
                    "summary": summary(collection._preparer_env()) if callable(summary) else summary,
                    "user_id": collection.user_id.id,
                    "date_deadline": today,
                }
                for collection in self
            ]
        )

    @api.model
    def _cron_purge(self, batch_size=CRON_BATCH_SIZE):
        """Delete the files of collections ended longer ago than the retention; keep the proof."""
        return self._esign_process_due(
            self._due(
                "state IN ('done', 'refused', 'expired', 'cancelled') AND purge_date <= %s", fields.Datetime.now()
            ),
            lambda batch: batch._purge(),
            batch_size,
        )

    def _purge(self):
        self.document_ids._purge_files()
        self.with_context(tracking_disable=True)._esign_write({"state": "purged", "purged_date": fields.Datetime.now()})
        self._log_event("purged")
        self._message_log_batch(
            {
                collection.id: Markup("<p>%s</p>")
                % collection._preparer_env()._(
                    "The retention period ended: the documents were purged; "
                    "their hashes and the proof journal are kept."
                )
                for collection in self
            }
        )

    @api.model
    def _cron_evidence_reports(self, batch_size=20):
        """Make the evidence reports of the collections completed since the last run."""
        return self._esign_process_due(
            self._due("evidence_report_due"), lambda batch: batch._attach_evidence_report(), batch_size
        )

    @api.model
    def _cron_seal(self, batch_size=20):
        """Seal and close the collections every signer has signed; a failed one waits, twice as long
        after each failure (5 minutes, 10, 20... 12 hours at most), so a server that is down is not hammered."""
        return self._esign_process_due(
            self._due(
                """state = 'sealing' AND (
                   seal_attempt_date IS NULL OR seal_attempts = 0 OR seal_attempt_date
                   + LEAST(interval '1 minute' * %s * power(2, LEAST(seal_attempts, 20) - 1), interval '12 hours')
                   <= %s)""",
                SEAL_RETRY_MINUTES,
                fields.Datetime.now(),
            ),
            lambda batch: batch._seal_and_complete(),
            batch_size,
        )

    @api.model
    def _cron_renew_archive_timestamps(self, batch_size=20):
        """Renew the archive timestamp (PAdES B-LTA) of sealed documents whose last timestamp's
        certificate expires within the company's renewal period (Settings), before it does."""
        where = """
            state = 'done' AND id IN (
                SELECT d.collection_id FROM esign_document d
                  JOIN esign_collection c ON c.id = d.collection_id
                  JOIN res_company co ON co.id = c.company_id
                 WHERE c.state = 'done' AND NOT COALESCE(d.purged, FALSE) AND co.esign_archive_renewal_days > 0
                   AND d.archive_expiry <= %s + co.esign_archive_renewal_days * interval '1 day')
        """
        return self._esign_process_due(
            self._due(where, fields.Datetime.now()), lambda batch: batch._renew_archive_timestamps(), batch_size
        )

    def _renew_archive_timestamps(self):
        """Fresh validation data and a new document timestamp on each due document; a failure is
        logged and retried on the next run, the document keeps its current revision."""
        sealing = {}
        now = fields.Datetime.now()
        for collection in self:
            company = collection.company_id
            renewal_limit = now + timedelta(days=company.esign_archive_renewal_days)
            due = collection.document_ids.filtered(
                lambda d, limit=renewal_limit: not d.purged and d.archive_expiry and d.archive_expiry <= limit
            )
            if not due:
                continue
            try:
                with self.env.cr.savepoint():
                    if company not in sealing:
                        sealing[company] = company._esign_sealing_tools()
                    _credential, timestamper, context = sealing[company]
                    if timestamper is None:
                        continue
                    due._esign_lock()
                    renewed = [(document, document._esign_renew_archive(timestamper, context)) for document in due]
                    for document, (data, values) in renewed:
                        document._esign_store_revision(data)
                        document._esign_write(values)
                    collection._log_document_events(
                        "archive_timestamp",
                        due,
                        description=collection.company_id._esign_env()._(
                            "Validation data and archive timestamp renewed"
                        )[:250],
                    )
            except UserError as error:
                _logger.warning("Archive timestamp of %s not renewed, to retry: %s", collection.name, error.args[0])

    @api.model
    def _cron_remind(self, batch_size=CRON_BATCH_SIZE):
        """Automatic reminders, for companies that turned them on; they do not push the deadline."""
        where = """
            state = 'in_progress' AND id IN (
                SELECT c.id FROM esign_collection c JOIN res_company co ON co.id = c.company_id
                 WHERE c.state = 'in_progress' AND co.esign_auto_reminder_days > 0
                   AND COALESCE(c.last_reminder_date, c.launch_date)
                       <= %s - co.esign_auto_reminder_days * interval '1 day')
        """
        return self._esign_process_due(
            self._due(where, fields.Datetime.now()), lambda batch: batch._auto_remind(), batch_size
        )

    def _auto_remind(self):
        self.with_context(tracking_disable=True)._esign_write({"last_reminder_date": fields.Datetime.now()})
        for company, collections in self.grouped("company_id").items():
            collections._log_event("reminded", description=company._esign_env()._("Automatic reminder"))
        self.signer_ids.filtered(lambda s: s.state == "to_sign")._send_signing_request(reminder=True)

    # ------------------------------------------------------------------
    # Dashboard
    # ------------------------------------------------------------------

    @api.model
    def _dashboard_domains(self):
        company = self.env.company
        now = fields.Datetime.now()
        mine = [("user_id", "=", self.env.uid)]
        return {
            "to_sign": [
                ("state", "=", "in_progress"),
                ("signer_ids", "any", [("partner_id", "=", self.env.user.partner_id.id), ("state", "=", "to_sign")]),
            ],
            "stopped": [*mine, ("state", "in", ("refused", "cancelled"))],
            "expiring_soon": [
                *mine,
                ("state", "=", "in_progress"),
                ("deadline", "<=", now + timedelta(days=company.esign_expiring_soon_days)),
            ],
            "expired": [*mine, ("state", "=", "expired")],
            "ready": [("state", "=", "ready")],
            "purge_soon": [
                ("state", "in", ENDED_STATES),
                ("purge_date", "<=", now + timedelta(days=company.esign_purge_soon_days)),
            ],
        }

    @api.model
    def _dashboard_labels(self):
        return {
            "to_sign": self.env._("Waiting for my signature"),
            "stopped": self.env._("My stopped collections"),
            "expiring_soon": self.env._("My collections expiring soon"),
            "expired": self.env._("My expired collections"),
            "ready": self.env._("Waiting for launch"),
            "purge_soon": self.env._("Collections purged soon"),
        }

    @api.model
    def get_dashboard_tiles(self):
        """The six counters of the dashboard, for the current user."""
        labels = self._dashboard_labels()
        return [
            {"key": key, "label": labels[key], "count": self.search_count(domain)}
            for key, domain in self._dashboard_domains().items()
        ]

    @api.model
    def action_open_dashboard_tile(self, key):
        domains = self._dashboard_domains()
        if key not in domains:
            raise UserError(self.env._("Unknown dashboard counter."))
        action = self.env["ir.actions.act_window"]._for_xml_id("engagement_letter_esign.esign_collection_action")
        label = self._dashboard_labels()[key]
        action.update({"name": label, "display_name": label, "domain": domains[key], "context": {}})
        return action
