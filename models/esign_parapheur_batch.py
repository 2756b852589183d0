from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

BATCH_STATES = [
    ("draft", "To confirm"),
    ("queued", "Queued"),
    ("running", "Signing"),
    ("done", "Done"),
]
CHUNK_SIZE = 10


class EsignParapheurBatch(models.Model):
    """Documents a firm signatory signs in one go, with one code, in the background.

    Only the parapheur makes a batch (``_create_from_signers``) and moves it on: every stored field
    is the workflow's, and each line is checked to be its owner's own turn when it is created, when
    the code is sent and confirmed, and when it is signed.
    """

    _name = "esign.parapheur.batch"
    _description = "Parapheur batch"
    _order = "id desc"
    _check_company_auto = True
    _allow_sudo_commands = False
    _inherit = ["esign.workflow.guard"]
    _esign_workflow_fields = (
        "name",
        "user_id",
        "company_id",
        "state",
        "line_ids",
        "mobile_masked",
        "confirmed_date",
        "done_date",
        "ip_address",
        "user_agent",
    )

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    user_id = fields.Many2one(
        "res.users", string="Signatory", required=True, readonly=True, index=True, default=lambda self: self.env.user
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    state = fields.Selection(BATCH_STATES, string="Status", required=True, readonly=True, default="draft", index=True)
    line_ids = fields.One2many("esign.parapheur.batch.line", "batch_id", string="Collections", readonly=True)
    line_count = fields.Integer(string="Collections to sign", compute="_compute_counts")
    document_count = fields.Integer(string="Documents to sign", compute="_compute_counts")
    signed_count = fields.Integer(string="Signed", compute="_compute_counts")
    skipped_count = fields.Integer(string="Not signed", compute="_compute_counts")
    progress = fields.Float(compute="_compute_counts")
    mobile_masked = fields.Char(string="Code sent to", readonly=True, copy=False)
    confirmed_date = fields.Datetime(string="Confirmed on", readonly=True, copy=False)
    done_date = fields.Datetime(string="Finished on", readonly=True, copy=False)
    ip_address = fields.Char(string="IP address", readonly=True, copy=False)
    user_agent = fields.Char(readonly=True, copy=False)

    @api.depends("line_ids.state")
    def _compute_counts(self):
        groups = self.env["esign.parapheur.batch.line"]._read_group(
            [("batch_id", "in", self.ids)], ["batch_id", "state"], ["__count", "document_count:sum"]
        )
        counts = {}
        for batch, state, count, documents in groups:
            entry = counts.setdefault(batch.id, {"lines": 0, "documents": 0})
            entry["lines"] += count
            entry["documents"] += documents
            entry[state] = count
        for batch in self:
            entry = counts.get(batch.id, {"lines": 0, "documents": 0})
            batch.line_count = entry["lines"]
            batch.document_count = entry["documents"]
            batch.signed_count = entry.get("signed", 0)
            batch.skipped_count = entry.get("skipped", 0)
            finished = batch.signed_count + batch.skipped_count
            batch.progress = 100.0 * finished / batch.line_count if batch.line_count else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        if not self._esign_in_workflow():
            raise AccessError(
                self.env._("A parapheur batch is made by the parapheur only: select there the documents to sign.")
            )
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code("esign.parapheur.batch") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Preparing a batch from the parapheur's selection
    # ------------------------------------------------------------------

    @api.model
    def _parapheur_domain(self):
        """What waits for the current user's signature: their turn, collection in progress, not past due."""
        return [
            ("user_id", "=", self.env.uid),
            ("role", "=", "firm"),
            ("state", "=", "to_sign"),
            ("collection_id.state", "=", "in_progress"),
            ("collection_id.deadline", ">", fields.Datetime.now()),
        ]

    @api.model
    def _create_from_signers(self, signers):
        """A draft batch for the selected signer lines, checked to be the user's own and free."""
        if not self.env.user.has_group("engagement_letter_esign.group_esign_signatory"):
            raise UserError(self.env._("Only a signatory of the firm can sign from the parapheur."))
        if not signers:
            raise UserError(self.env._("Select the documents to sign."))
        # Checked on every selected line whatever the caller may read: a foreign line is refused, not hidden.
        signers = signers.sudo()
        waiting = signers.filtered_domain(self._parapheur_domain())
        if waiting != signers:
            raise UserError(
                self.env._(
                    "These collections are no longer waiting for your signature: %s",
                    ", ".join((signers - waiting).collection_id.mapped("name")),
                )
            )
        if len(signers.company_id) > 1:
            raise UserError(self.env._("Sign the documents of one company at a time."))
        busy = (
            self.env["esign.parapheur.batch.line"]
            .sudo()
            .search([("signer_id", "in", signers.ids), ("batch_id.state", "in", ("queued", "running"))])
        )
        if busy:
            raise UserError(
                self.env._(
                    "These collections are already being signed in another batch: %s",
                    ", ".join(busy.signer_id.collection_id.mapped("name")),
                )
            )
        batch = self._esign_create([{"user_id": self.env.uid, "company_id": signers.company_id.id}])
        self.env["esign.parapheur.batch.line"]._esign_create(
            [{"batch_id": batch.id, "signer_id": signer.id} for signer in signers]
        )
        batch.invalidate_recordset(["line_ids"])
        batch._check_lines()
        return batch

    def _check_lines(self):
        """Refuse a batch any of whose lines is not, right now, its owner's own turn to sign."""
        self.ensure_one()
        lines = self.sudo().line_ids
        if not lines:
            raise UserError(self.env._("Select the documents to sign."))
        stray = lines.filtered(lambda line: line._sign_error_message())
        if stray:
            raise UserError(
                self.env._(
                    "These collections are no longer waiting for your signature: %s",
                    ", ".join(stray.collection_id.mapped("name")),
                )
            )
        busy = (
            self.env["esign.parapheur.batch.line"]
            .sudo()
            .search(
                [
                    ("signer_id", "in", lines.signer_id.ids),
                    ("batch_id", "!=", self.id),
                    ("batch_id.state", "in", ("queued", "running")),
                ]
            )
        )
        if busy:
            raise UserError(
                self.env._(
                    "These collections are already being signed in another batch: %s",
                    ", ".join(busy.signer_id.collection_id.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # One code for the whole batch
    # ------------------------------------------------------------------

    def _check_draft_of_current_user(self):
        batch = self.sudo()
        if batch.user_id != self.env.user:
            raise UserError(self.env._("Only %s can sign this batch.", batch.user_id.name))
        if batch.state != "draft":
            raise UserError(self.env._("This batch was already confirmed: nothing will be signed twice."))

    def _signatory_mobile(self):
        """The one mobile of the signatory's lines: the code proves each of them."""
        mobiles = set(self.sudo().line_ids.signer_id.mapped("mobile"))
        if not mobiles or False in mobiles:
            raise UserError(self.env._("Your mobile number is missing: the code cannot be sent."))
        if len(mobiles) > 1:
            raise UserError(
                self.env._(
                    "Your mobile number is not the same in every selected collection: "
                    "sign them apart, or have the number corrected."
                )
            )
        return mobiles.pop()

    def _send_code(self, ip_address=None, user_agent=None):
        """Send one code by SMS to the signatory's own mobile; it signs every line of the batch.

        Returns False when sent, else what to tell the signatory: a refusal is returned, not raised,
        so that its proof event is kept.
        """
        self.ensure_one()
        self._esign_lock()
        self._check_draft_of_current_user()
        self._check_lines()
        result = self.env["esign.otp"]._request_for_batch(
            self, self._signatory_mobile(), ip_address=ip_address, user_agent=user_agent
        )
        if result.get("error"):
            return result["error"]
        self._esign_write({"mobile_masked": result["masked"]})
        return False

    def _confirm(self, code, ip_address=None, user_agent=None):
        """The signatory proves it is them with the code: queue the signatures and wake the scheduled action.

        Returns False when queued, else what to tell the signatory; a wrong code signs nothing, a
        second confirmation signs nothing twice.
        """
        self.ensure_one()
        self._esign_lock()
        self._check_draft_of_current_user()
        self._check_lines()
        message = self.env["esign.otp"]._verify_for_batch(self, code, ip_address=ip_address, user_agent=user_agent)
        if message:
            return message
        self._esign_write(
            {
                "state": "queued",
                "confirmed_date": fields.Datetime.now(),
                "ip_address": ip_address,
                "user_agent": (user_agent or "")[:512] or False,
            }
        )
        self.env.ref("engagement_letter_esign.ir_cron_esign_parapheur").sudo()._trigger()
        return False

    # ------------------------------------------------------------------
    # Signing in the background
    # ------------------------------------------------------------------

    @api.model
    def _cron_sign_batches(self, chunk_size=CHUNK_SIZE):
        """Sign the pending lines of confirmed batches chunk by chunk, committing and reporting progress.

        Several workers can run it at once: each claims different lines (SKIP LOCKED).
        """
        pending = SQL(
            """
              FROM esign_parapheur_batch_line claimed
              JOIN esign_parapheur_batch batch ON batch.id = claimed.batch_id
             WHERE claimed.state = 'pending' AND batch.state IN ('queued', 'running')
            """
        )
        return self.env["esign.parapheur.batch.line"]._esign_process_due(
            pending, self._sign_lines, chunk_size, order=SQL("claimed.batch_id, claimed.id")
        )

    @api.model
    def _sign_lines(self, lines):
        lines.batch_id.filtered(lambda b: b.state == "queued")._esign_write({"state": "running"})
        for line in lines:
            line._sign()
        lines.batch_id._finish_if_complete()
        lines.batch_id._notify_progress()

    def _notify_progress(self):
        """Tell each signatory's open batch forms to read the batch again (state, progress, lines)."""
        for user, batches in self.grouped("user_id").items():
            user._bus_send("esign_parapheur_batch_progress", {"batch_ids": batches.ids})

    def _finish_if_complete(self):
        for batch in self:
            if batch.line_ids.filtered(lambda line: line.state == "pending"):
                continue
            batch._esign_write({"state": "done", "done_date": fields.Datetime.now()})
            batch._notify_signatory()

    def _notify_signatory(self):
        """The result, in the signatory's own language: the scheduled action that signs speaks another."""
        self.ensure_one()
        message = self.with_context(lang=self.user_id.lang or self.env.lang).env._(
            "Parapheur %(name)s: %(signed)s signed, %(skipped)s not signed.",
            name=self.name,
            signed=self.signed_count,
            skipped=self.skipped_count,
        )
        self.user_id._bus_send(
            "simple_notification",
            {"type": "success" if not self.skipped_count else "warning", "message": message, "sticky": True},
        )
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=self.user_id.partner_id.ids,
            subject=message,
            body=Markup("<p>%s</p>") % message,
            model=self._name,
            res_id=self.id,
        )

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
            "name": self.name,
        }
