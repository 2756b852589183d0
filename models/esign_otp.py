import logging
import secrets
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..services.otp import code_digest, code_matches, mask_mobile, new_code
from ..services.sms_gateways import HttpGateway, OvhGateway, SmsGatewayError, TwilioGateway

_logger = logging.getLogger(__name__)

CODE_LENGTH = 6
OTP_STATES = [
    ("active", "Active"),
    ("used", "Used"),
    ("locked", "Locked"),
    ("expired", "Expired"),
    ("replaced", "Replaced"),
]
# Wrong tries block when they reach ``esign_otp_max_attempts * esign_otp_max_locked``, whatever codes
# they were spread over. A signer's count covers the whole life of their collection (a blocked
# signer stays blocked: the firm checks the number and starts a new collection); a parapheur
# signatory's count covers the last OWNER_WINDOW over all their batches, after which the parapheur
# opens again (the firm user keeps working, at most that many guesses a day).
OWNER_WINDOW = timedelta(hours=24)
# First key of the advisory lock that serialises the codes of one batch owner (second key: user id).
OWNER_LOCK_KEY = 7351


class _SignerHolder:
    """The codes of one signer: signing page and back-office signature."""

    def __init__(self, signer):
        self.signer = signer
        self.env = signer.env
        self.company = signer.company_id
        self.mobile = signer.mobile

    def own_values(self):
        return {"signer_id": self.signer.id}

    def codes_domain(self):
        """This holder's own codes, among which its one active code."""
        return [("signer_id", "=", self.signer.id)]

    def rate_domain(self):
        """The codes the resend wait and the hourly limit count."""
        return self.codes_domain()

    def tries_domain(self, now):
        """The codes whose wrong tries count toward blocking."""
        return [("signer_id", "=", self.signer.id)]

    def lock(self):
        self.signer._esign_lock()

    def log(self, event_type, evidence, description=None):
        values = dict(evidence, signer_id=self.signer.id)
        if description:
            values["description"] = description[:500]
        self.signer.collection_id._log_event(event_type, **values)

    def sms_text(self, code):
        signer = self.signer
        template = self.env.ref("engagement_letter_esign.sms_template_esign_otp").sudo()
        minutes = self.company.esign_otp_validity_minutes
        rendered = template.with_context(esign_otp_code=code, esign_otp_minutes=minutes)._render_field(
            "body", signer.ids, compute_lang=True
        )
        return rendered[signer.id]

    def sent_description(self, masked):
        return self.company._esign_env()._("Code sent by SMS to %s", masked)

    def warn_blocked(self, evidence):
        signer = self.signer
        collection = signer.collection_id
        collection._log_event("signer_blocked", signer_id=signer.id)
        collection._notify_preparer(
            lambda env: (
                Markup("<p>%s</p>")
                % env._(
                    "%s entered too many wrong codes: their signature is blocked. "
                    "Check their mobile number with them, then start a new collection.",
                    signer.name,
                )
            )
        )
        collection._schedule_preparer_activity(
            "mail.mail_activity_data_warning", lambda env: env._("Signer blocked after wrong codes: %s", signer.name)
        )

    def warn_send_failed(self, evidence):
        """An activity for the preparer at the first failure of an episode: after a sent code, or ever."""
        signer = self.signer
        collection = signer.collection_id
        last_send = (
            self.env["esign.event"]
            .sudo()
            .search(
                [
                    ("collection_id", "=", collection.id),
                    ("signer_id", "=", signer.id),
                    ("event_type", "in", ("otp_sent", "otp_send_failed")),
                ],
                order="sequence desc",
                limit=1,
            )
        )
        if last_send.event_type == "otp_send_failed":
            return
        collection._schedule_preparer_activity(
            "mail.mail_activity_data_warning",
            self.env._("The signing code could not be sent by SMS to %s", signer.name),
        )

    # What the signer reads
    def text_blocked(self):
        return self.env._(
            "Too many wrong codes: signing is blocked for your safety. The firm has been told and will contact you."
        )

    def text_wait(self, seconds):
        return self.env._("Please wait %s seconds before asking for a new code.", seconds)

    def text_send_failed(self, error):
        return self.env._(
            "The code could not be sent by SMS right now. Please try again in a few minutes; "
            "if it keeps failing, contact the firm."
        )

    def text_no_code(self):
        return self.env._("Please ask for a code first: it is sent by SMS to your mobile.")

    def text_expired(self):
        return self.env._("This code has expired: please ask for a new one.")

    def text_tries_left(self, left):
        return self.env._("This code is not right: %s tries left.", left)

    def text_locked(self):
        return self.env._("Too many wrong tries: this code is locked. Please ask for a new one.")


class _BatchHolder(_SignerHolder):
    """The codes of a parapheur batch: its signatory's wrong tries count over all their batches."""

    def __init__(self, batch, mobile):
        self.batch = batch
        self.owner = batch.user_id
        self.env = batch.env
        self.company = batch.company_id
        self.mobile = mobile

    def own_values(self):
        return {"batch_id": self.batch.id}

    def codes_domain(self):
        return [("batch_id", "=", self.batch.id)]

    def rate_domain(self):
        return [("user_id", "=", self.owner.id)]

    def tries_domain(self, now):
        return [("user_id", "=", self.owner.id), ("sent_at", ">", now - OWNER_WINDOW)]

    def lock(self):
        # Two batches of one signatory share the count of wrong tries: one code operation at a time.
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [OWNER_LOCK_KEY, self.owner.id])

    def log(self, event_type, evidence, description=None):
        """One event on the collection of each line, created in one batch."""
        base = dict(evidence)
        if description:
            base["description"] = description[:500]
        lines = self.batch.sudo().line_ids
        self.env["esign.event"]._esign_create(
            [
                dict(base, collection_id=line.collection_id.id, signer_id=line.signer_id.id, event_type=event_type)
                for line in lines
            ]
        )

    def sms_text(self, code):
        return self.env._(
            "%(code)s is your code to sign %(count)s documents in the parapheur (%(name)s). Valid %(minutes)s minutes.",
            code=code,
            count=self.batch.document_count,
            name=self.batch.name,
            minutes=self.company.esign_otp_validity_minutes,
        )

    def sent_description(self, masked):
        return self.company._esign_env()._(
            "Parapheur code of batch %(batch)s sent by SMS to %(mobile)s", batch=self.batch.name, mobile=masked
        )

    def warn_send_failed(self, evidence):
        """The signatory is the firm user at their desk: the message they read is enough."""

    def warn_blocked(self, evidence):
        self.log(
            "signer_blocked",
            evidence,
            self.company._esign_env()._("Parapheur blocked for %s after too many wrong codes", self.owner.name),
        )
        collections = self.batch.sudo().line_ids.collection_id
        collections._notify_preparer(
            lambda env: (
                Markup("<p>%s</p>")
                % env._(
                    "%(name)s entered too many wrong codes in the parapheur: signing from the parapheur is blocked "
                    "for them for %(hours)s hours. Check with them that nobody else uses their session.",
                    name=self.owner.name,
                    hours=int(OWNER_WINDOW.total_seconds() // 3600),
                )
            )
        )
        collections._schedule_preparer_activity(
            "mail.mail_activity_data_warning",
            lambda env: env._("Signatory blocked in the parapheur after wrong codes: %s", self.owner.name),
        )

    def text_blocked(self):
        return self.env._(
            "Too many wrong codes: signing from the parapheur is blocked for your safety for %s hours. "
            "The preparers of these documents have been told.",
            int(OWNER_WINDOW.total_seconds() // 3600),
        )

    def text_wait(self, seconds):
        return self.env._("Wait %s seconds before asking for a new code.", seconds)

    def text_send_failed(self, error):
        return self.env._("The SMS could not be sent: %s. Nothing was signed; try again in a moment.", error)

    def text_no_code(self):
        return self.env._("Ask for a new code.")

    def text_expired(self):
        return self.env._("This code has expired: ask for a new one.")

    def text_tries_left(self, left):
        return self.env._("Wrong code. %s tries left.", left)

    def text_locked(self):
        return self.env._("Wrong code, and too many tries: ask for a new code.")


class EsignOtp(models.Model):
    """A one-time code sent by SMS to a signer, or to a firm signatory for a parapheur batch.

    Only its keyed hash is kept. Rate limits and wrong tries live here, in PostgreSQL, so that every
    worker sees them; every field is written by the workflow only.
    """

    _name = "esign.otp"
    _description = "Signing one-time code"
    _order = "sent_at desc, id desc"
    _allow_sudo_commands = False
    _inherit = ["esign.workflow.guard"]
    _esign_workflow_fields = (
        "signer_id",
        "batch_id",
        "user_id",
        "company_id",
        "salt",
        "code_hash",
        "sent_at",
        "expires_at",
        "attempts",
        "state",
        "ip_address",
        "mobile",
    )

    signer_id = fields.Many2one("esign.signer", index="btree_not_null", ondelete="cascade", readonly=True)
    batch_id = fields.Many2one(
        "esign.parapheur.batch", string="Parapheur batch", index="btree_not_null", ondelete="cascade", readonly=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Batch signatory",
        related="batch_id.user_id",
        store=True,
        index="btree_not_null",
        readonly=True,
    )
    company_id = fields.Many2one("res.company", compute="_compute_company_id", store=True, index=True)
    salt = fields.Char(required=True, readonly=True, groups="base.group_system")
    code_hash = fields.Char(required=True, readonly=True, groups="base.group_system")
    sent_at = fields.Datetime(required=True, readonly=True, index=True)
    expires_at = fields.Datetime(required=True, readonly=True)
    attempts = fields.Integer(string="Wrong tries", readonly=True)
    state = fields.Selection(OTP_STATES, required=True, default="active", readonly=True, index=True)
    ip_address = fields.Char(string="IP address", readonly=True, index="btree_not_null")
    mobile = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "signer_or_batch",
            "CHECK((signer_id IS NULL) != (batch_id IS NULL))",
            "A one-time code belongs to a signer or to a parapheur batch, never both.",
        ),
    ]

    @api.depends("signer_id.company_id", "batch_id.company_id")
    def _compute_company_id(self):
        for otp in self:
            otp.company_id = otp.signer_id.company_id or otp.batch_id.company_id

    @api.model
    def _secret(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.secret")

    def _matches(self, code):
        self.ensure_one()
        code = "".join(char for char in (code or "") if char.isdigit())
        otp = self.sudo()
        return len(code) == CODE_LENGTH and code_matches(code, otp.code_hash, self._secret(), otp.salt)

    @api.ondelete(at_uninstall=False)
    def _unlink_by_workflow_only(self):
        """Deleting codes would forget wrong tries, and so lift a block."""
        if not self._esign_in_workflow():
            raise AccessError(self.env._("One-time codes are removed by the signature workflow only."))

    @api.autovacuum
    def _gc_spent_codes(self):
        """Codes older than a week are of no use to any limit, except a signer's wrong tries (blocking)."""
        week_ago = fields.Datetime.now() - timedelta(days=7)
        self.sudo().search(
            [("sent_at", "<", week_ago), "|", ("batch_id", "!=", False), ("attempts", "=", 0)]
        )._esign_unlink()

    # ------------------------------------------------------------------
    # Limits
    # ------------------------------------------------------------------

    @api.model
    def _count_since(self, domain, since):
        return self.sudo().search_count([*domain, ("sent_at", ">=", since)])

    @api.model
    def _wrong_tries(self, domain):
        [(total,)] = self.sudo()._read_group(domain, aggregates=["attempts:sum"])
        return total or 0

    @api.model
    def _tries_before_block(self, holder, now=None):
        """How many wrong tries the holder has left before being blocked (0: blocked)."""
        company = holder.company
        threshold = company.esign_otp_max_attempts * company.esign_otp_max_locked
        return max(threshold - self._wrong_tries(holder.tries_domain(now or fields.Datetime.now())), 0)

    @api.model
    def _signer_blocked(self, signer):
        return not self._tries_before_block(_SignerHolder(signer))

    @api.model
    def _request_error_message(self, holder, ip_address):
        """Why no new code can be sent now, in words, or False."""
        company = holder.company
        now = fields.Datetime.now()
        if not self._tries_before_block(holder, now):
            return holder.text_blocked()
        rate_domain = holder.rate_domain()
        last = self.sudo().search(rate_domain, limit=1)
        if last and company.esign_otp_resend_seconds:
            wait = (last.sent_at + timedelta(seconds=company.esign_otp_resend_seconds) - now).total_seconds()
            if wait > 0:
                return holder.text_wait(int(wait) + 1)
        hour_ago = now - timedelta(hours=1)
        limit = company.esign_otp_hourly_limit
        if self._count_since(rate_domain, hour_ago) >= limit:
            return self.env._("You asked for too many codes: please try again in an hour.")
        if ip_address and self._count_since([("ip_address", "=", ip_address)], hour_ago) >= limit * 4:
            return self.env._("Too many codes were asked from your connection: please try again in an hour.")
        return False

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _sms_text(self, signer, code):
        return _SignerHolder(signer).sms_text(code)

    @api.model
    def _send_sms(self, company, number, text):
        """Hand the text to the company's gateway; raise SmsGatewayError when it is not accepted."""
        try:
            config = company._esign_sms_gateway_config()
        except UserError as error:
            raise SmsGatewayError(str(error)) from error
        timeout = config["timeout"]
        gateway = config["gateway"]
        if gateway == "demo":
            _logger.warning("Demonstration SMS gateway, nothing sent. Text for %s: %s", number, text)
            return
        if gateway == "odoo":
            sms = self.env["sms.sms"].sudo().create({"number": number, "body": text})
            try:
                sms._send(unlink_failed=False, unlink_sent=False, raise_exception=True)
            except Exception as error:
                raise SmsGatewayError(str(error)) from error
            finally:
                state = sms.state
                sms.unlink()  # the text holds the code: keep it nowhere
            if state == "error":
                raise SmsGatewayError("Odoo SMS refused the message")
            return
        if gateway == "ovh":
            client = OvhGateway(
                config["application_key"],
                config["application_secret"],
                config["consumer_key"],
                config["service_name"],
                sender=config["sender"],
                endpoint=config["endpoint"],
                timeout=timeout,
            )
        elif gateway == "twilio":
            client = TwilioGateway(
                config["account_sid"],
                config["auth_token"],
                config["sender"],
                endpoint=config["endpoint"],
                timeout=timeout,
            )
        else:
            try:
                headers = HttpGateway.parse_headers(config["headers"])
            except ValueError as error:
                raise SmsGatewayError(f"invalid headers: {error}") from error
            client = HttpGateway(
                config["url"],
                method=config["method"],
                headers=headers,
                body_template=config["body"],
                timeout=timeout,
            )
        client.send(number, text)

    @api.model
    def _request_for(self, signer, ip_address=None, user_agent=None):
        """Send a new code to the signer's mobile; see ``_request``."""
        return self._request(_SignerHolder(signer), ip_address=ip_address, user_agent=user_agent)

    @api.model
    def _request_for_batch(self, batch, mobile, ip_address=None, user_agent=None):
        """Send a new code for a parapheur batch to its signatory's ``mobile``; see ``_request``."""
        return self._request(_BatchHolder(batch, mobile), ip_address=ip_address, user_agent=user_agent)

    @api.model
    def _request(self, holder, ip_address=None, user_agent=None):
        """Send a new code to the holder's mobile; it replaces the holder's active code.

        Returns ``{"masked": ...}`` or ``{"error": ...}``; errors are returned, not raised, so that
        the attempt and its proof event are kept.
        """
        holder.lock()
        evidence = {"ip_address": ip_address, "user_agent": user_agent}
        message = self._request_error_message(holder, ip_address)
        if message:
            holder.log("otp_refused", evidence, message)
            return {"error": message}
        masked = mask_mobile(holder.mobile)
        code = new_code()
        now = fields.Datetime.now()
        try:
            self._send_sms(holder.company, holder.mobile, holder.sms_text(code))
        except SmsGatewayError as error:
            holder.warn_send_failed(evidence)
            holder.log(
                "otp_send_failed",
                evidence,
                holder.company._esign_env()._(
                    "SMS to %(mobile)s failed: %(detail)s", mobile=masked, detail=error.detail
                ),
            )
            return {"error": holder.text_send_failed(error), "send_failed": True}
        # A replaced code keeps its wrong tries: they still count toward blocking.
        self.sudo().search([*holder.codes_domain(), ("state", "=", "active")])._esign_write({"state": "replaced"})
        salt = secrets.token_hex(8)
        self._esign_create(
            [
                {
                    **holder.own_values(),
                    "salt": salt,
                    "code_hash": code_digest(code, self._secret(), salt),
                    "sent_at": now,
                    "expires_at": now + timedelta(minutes=holder.company.esign_otp_validity_minutes),
                    "ip_address": ip_address,
                    "mobile": holder.mobile,
                }
            ]
        )
        holder.log("otp_sent", evidence, holder.sent_description(masked))
        return {"masked": masked}

    # ------------------------------------------------------------------
    # Checking
    # ------------------------------------------------------------------

    @api.model
    def _verify_for(self, signer, code, ip_address=None, user_agent=None):
        """Check the code the signer typed; see ``_verify``.

        The caller holds the signer's row lock, so a code is consumed at most once.
        """
        return self._verify(_SignerHolder(signer), code, ip_address=ip_address, user_agent=user_agent)

    @api.model
    def _verify_for_batch(self, batch, code, ip_address=None, user_agent=None):
        """Check the code the signatory typed for a batch; see ``_verify``.

        The caller holds the batch's row lock, so a code is consumed at most once.
        """
        holder = _BatchHolder(batch, False)
        holder.lock()
        return self._verify(holder, code, ip_address=ip_address, user_agent=user_agent)

    @api.model
    def _verify(self, holder, code, ip_address=None, user_agent=None):
        """False when ``code`` is the holder's active code, else the sentence to show.

        A wrong try is counted on the code and toward blocking, whatever code it is spread over.
        """
        evidence = {"ip_address": ip_address, "user_agent": user_agent}
        now = fields.Datetime.now()
        if not self._tries_before_block(holder, now):
            return holder.text_blocked()
        otp = self.sudo().search([*holder.codes_domain(), ("state", "=", "active")], limit=1)
        if not otp:
            return holder.text_no_code()
        if otp.expires_at <= now:
            otp._esign_write({"state": "expired"})
            holder.log("otp_expired", evidence)
            return holder.text_expired()
        if otp._matches(code):
            otp._esign_write({"state": "used"})
            holder.log(
                "otp_verified", evidence, holder.company._esign_env()._("Code checked for %s", mask_mobile(otp.mobile))
            )
            return False
        attempts = otp.attempts + 1
        max_attempts = holder.company.esign_otp_max_attempts
        left_before_block = self._tries_before_block(holder, now) - 1
        locked = attempts >= max_attempts or left_before_block <= 0
        otp._esign_write({"attempts": attempts, "state": "locked" if locked else "active"})
        holder.log(
            "otp_failed",
            evidence,
            holder.company._esign_env()._("Wrong code (%(tries)s of %(max)s)", tries=attempts, max=max_attempts),
        )
        if not locked:
            return holder.text_tries_left(min(max_attempts - attempts, left_before_block))
        holder.log("otp_locked", evidence)
        if left_before_block <= 0:
            holder.warn_blocked(evidence)
            return holder.text_blocked()
        return holder.text_locked()
