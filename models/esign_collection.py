import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import create_index

from ..services.error_message import error_lines, join_errors
from ..services.text_input import control_problem, reason_problem

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
    # Launch
    # ------------------------------------------------------------------

    def _launch_error_message(self, layouts=None):
        """What prevents the launch, one line per problem, or False.

        The check lays out the stamps of every document; ``layouts``, a dict, receives them
        ({document: (layout, signature page)}) for the certification that follows in the same call.
        """
        self.ensure_one()
        lines = []
        if not self.company_id.esign_enabled:
            lines.append(self.env._("Electronic signature is disabled in the settings of %s.", self.company_id.name))
        if not self.document_ids:
            lines.append(self.env._("Add at least one PDF document."))
        if not self.signer_ids:
            lines.append(self.env._("Add at least one signer."))
        lines.extend(signer._launch_error_message() for signer in self.signer_ids.sorted("signing_order"))
        if self.signer_ids:
            for document in self.document_ids.filtered(lambda d: not d.purged and (d.original_pdf or d.signed_pdf)):
                try:
                    layout = document._esign_compute_layout()
                except UserError as error:
                    lines.append(str(error.args[0]))
                else:
                    if layouts is not None:
                        layouts[document] = layout
        return join_errors(*lines)

    def _check_launchable(self):
        """Refuse the launch of any collection that cannot be launched; return the stamp layouts the
        check computed, {document: (layout, signature page)}."""
        layouts = {}
        for collection in self:
            if collection.state not in PREPARATION_STATES:
                raise UserError(self.env._("Only a draft or waiting collection can be launched."))
            message = collection._launch_error_message(layouts)
            if message:
                raise UserError(
                    self.env._("The collection %s cannot be launched yet:", collection.name)
                    + "\n- "
                    + "\n- ".join(error_lines(message))
                )
        return layouts

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
        layouts = self._check_launchable()
        self._esign_certify_documents(layouts)
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

    def _advance(self, invite_later=False):
        """Give the turn to the next group of signers, or queue the seal once everyone has signed;
        ``invite_later`` queues their e-mails (see ``esign.signer._give_turn``)."""
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
                newcomers._give_turn(invite_later=invite_later)

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

    def _on_done(self):
        """What follows a sealed, completed collection: the evidence report, made by a scheduled action
        woken at once (wkhtmltopdf takes about a second a report)."""
        self._esign_write({"evidence_report_due": True})
        self.env.ref("engagement_letter_esign.ir_cron_esign_evidence_report").sudo()._trigger()

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

    def _cancel_error_message(self, reason):
        """Why these collections cannot be cancelled with ``reason``, in words, or False."""
        problem = reason_problem(reason)
        if problem == "empty":
            return self.env._("Give the reason for the cancellation.")
        if problem:
            return self.env._("The reason cannot hold control characters.")
        for collection in self:
            if collection.state == "sealing":
                return self.env._("Every signer has signed %s: it is being sealed.", collection.name)
            if collection.state not in (*PREPARATION_STATES, "in_progress"):
                return self.env._("Only a collection not yet ended can be cancelled.")
        return False

    def _action_cancel(self, reason):
        self.check_access("write")
        message = self._cancel_error_message(reason)
        if message:
            raise UserError(message)
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
