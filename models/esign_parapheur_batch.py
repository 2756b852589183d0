from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services.otp import code_digest, code_matches, new_code
from ..services.sms_gateways import SmsGatewayError

BATCH_STATES = [
    ("draft", "To confirm"),
    ("queued", "Queued"),
    ("running", "Signing"),
    ("done", "Done"),
]
CHUNK_SIZE = 10


class EsignParapheurBatch(models.Model):
    """Documents a firm signatory signs in one go, with one code, in the background."""

    _name = "esign.parapheur.batch"
    _description = "Parapheur batch"
    _order = "id desc"
    _check_company_auto = True

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
    code_digest = fields.Char(copy=False, groups="base.group_system")
    code_sent_date = fields.Datetime(string="Code sent on", readonly=True, copy=False)
    code_expiry = fields.Datetime(readonly=True, copy=False)
    code_failures = fields.Integer(readonly=True, copy=False)
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
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("esign.parapheur.batch") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Preparing a batch from the parapheur's selection
    # ------------------------------------------------------------------

    @api.model
    def _parapheur_domain(self):
        """What waits for the current user's signature: their turn, collection in progress, not past due."""
        return [
            ("user_id", "=", self.env.uid),
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
        waiting = signers.filtered_domain(self._parapheur_domain())
        if waiting != signers:
            raise UserError(
                self.env._(
                    "These collections are no longer waiting for your signature: %s",
                    ", ".join((signers - waiting).collection_id.mapped("name")),
                )
            )
        busy = self.env["esign.parapheur.batch.line"].search(
            [("signer_id", "in", signers.ids), ("batch_id.state", "in", ("queued", "running"))]
        )
        if busy:
            raise UserError(
                self.env._(
                    "These collections are already being signed in another batch: %s",
                    ", ".join(busy.signer_id.collection_id.mapped("name")),
                )
            )
        return self.create(
            {
                "company_id": signers.company_id[:1].id or self.env.company.id,
                "line_ids": [fields.Command.create({"signer_id": signer.id}) for signer in signers],
            }
        )

    # ------------------------------------------------------------------
    # One code for the whole batch
    # ------------------------------------------------------------------

    def _code_salt(self):
        return f"{self._name}:{self.id}:{self.user_id.id}"

    def _lock(self):
        self.env.cr.execute("SELECT id FROM esign_parapheur_batch WHERE id = %s FOR NO KEY UPDATE", [self.id])
        self.invalidate_recordset()

    def _check_draft_of_current_user(self):
        if self.user_id != self.env.user:
            raise UserError(self.env._("Only %s can sign this batch.", self.user_id.name))
        if self.state != "draft":
            raise UserError(self.env._("This batch was already confirmed: nothing will be signed twice."))

    def _send_code(self):
        """Send one code by SMS to the signatory's own mobile; it signs every line of the batch."""
        self.ensure_one()
        self._lock()
        self._check_draft_of_current_user()
        now = fields.Datetime.now()
        company = self.company_id
        resend_delay = timedelta(seconds=company.esign_otp_resend_seconds)
        if self.code_sent_date and now < self.code_sent_date + resend_delay:
            wait = int((self.code_sent_date + resend_delay - now).total_seconds()) + 1
            raise UserError(self.env._("Wait %s seconds before asking for a new code.", wait))
        signer = self.line_ids.signer_id[:1]
        if not signer.mobile:
            raise UserError(self.env._("Your mobile number is missing: the code cannot be sent."))
        code = new_code()
        secret = self.env["esign.otp"]._secret()
        body = self.env._(
            "%(code)s is your code to sign %(count)s documents in the parapheur (%(name)s). Valid %(minutes)s minutes.",
            code=code,
            count=self.document_count,
            name=self.name,
            minutes=company.esign_otp_validity_minutes,
        )
        try:
            self.env["esign.otp"]._send_sms(self.company_id, signer.mobile, body)
        except SmsGatewayError as error:
            raise UserError(
                self.env._("The SMS could not be sent: %s. Nothing was signed; try again in a moment.", error)
            ) from error
        self.sudo().write(
            {
                "code_digest": code_digest(code, secret, self._code_salt()),
                "code_sent_date": now,
                "code_expiry": now + timedelta(minutes=company.esign_otp_validity_minutes),
                "code_failures": 0,
                "mobile_masked": signer.mobile_masked,
            }
        )
        return True

    def _code_problem(self, code):
        """None when ``code`` is right, else what to tell the signatory; a wrong try is counted.

        It returns rather than raises so that the count of wrong tries is kept (an error rolls back).
        """
        self.ensure_one()
        batch = self.sudo()
        max_tries = self.company_id.esign_otp_max_attempts
        if not batch.code_digest or batch.code_failures >= max_tries:
            return self.env._("Ask for a new code.")
        if fields.Datetime.now() > batch.code_expiry:
            return self.env._("This code has expired: ask for a new one.")
        if code_matches(code, batch.code_digest, self.env["esign.otp"]._secret(), self._code_salt()):
            batch.code_digest = False
            return None
        batch.code_failures += 1
        left = max_tries - batch.code_failures
        if left <= 0:
            batch.code_digest = False
            return self.env._("Wrong code, and too many tries: ask for a new code.")
        return self.env._("Wrong code. %s tries left.", left)

    def _confirm(self, code, ip_address=None, user_agent=None):
        """The signatory proves it is them with the code: queue the signatures and wake the scheduled action.

        Returns None when queued, else the reason; a wrong code signs nothing, a second confirmation
        signs nothing twice.
        """
        self.ensure_one()
        self._lock()
        self._check_draft_of_current_user()
        problem = self._code_problem(code)
        if problem:
            return problem
        self.write(
            {
                "state": "queued",
                "confirmed_date": fields.Datetime.now(),
                "ip_address": ip_address,
                "user_agent": (user_agent or "")[:512] or False,
            }
        )
        self.env.ref("engagement_letter_esign.ir_cron_esign_parapheur").sudo()._trigger()
        return None

    # ------------------------------------------------------------------
    # Signing in the background
    # ------------------------------------------------------------------

    @api.model
    def _claim_pending_lines(self, limit):
        self.env.cr.execute(
            """
            SELECT line.id
              FROM esign_parapheur_batch_line line
              JOIN esign_parapheur_batch batch ON batch.id = line.batch_id
             WHERE line.state = 'pending' AND batch.state IN ('queued', 'running')
          ORDER BY line.batch_id, line.id
             LIMIT %s
               FOR NO KEY UPDATE OF line SKIP LOCKED
            """,
            [limit],
        )
        return self.env["esign.parapheur.batch.line"].browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _count_pending_lines(self):
        self.env.cr.execute(
            """
            SELECT count(*)
              FROM esign_parapheur_batch_line line
              JOIN esign_parapheur_batch batch ON batch.id = line.batch_id
             WHERE line.state = 'pending' AND batch.state IN ('queued', 'running')
            """
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _cron_sign_batches(self, chunk_size=CHUNK_SIZE):
        """Sign the pending lines of confirmed batches chunk by chunk, committing and reporting progress.

        Several workers can run it at once: each claims different lines (SKIP LOCKED).
        """
        self.env.flush_all()
        return self.env["ir.cron"]._esign_process_in_chunks(
            self._count_pending_lines(), lambda: self._claim_pending_lines(chunk_size), self._sign_lines
        )

    @api.model
    def _sign_lines(self, lines):
        lines.batch_id.filtered(lambda b: b.state == "queued").write({"state": "running"})
        for line in lines:
            line._sign()
        lines.batch_id._finish_if_complete()

    def _finish_if_complete(self):
        for batch in self:
            if batch.line_ids.filtered(lambda line: line.state == "pending"):
                continue
            batch.write({"state": "done", "done_date": fields.Datetime.now()})
            batch._notify_signatory()

    def _notify_signatory(self):
        self.ensure_one()
        message = self.env._(
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
