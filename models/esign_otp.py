import secrets
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services.otp import code_digest, code_matches, mask_mobile, new_code
from ..services.sms_gateways import HttpGateway, OvhGateway, SmsGatewayError, TwilioGateway

CODE_LENGTH = 6
OTP_STATES = [
    ("active", "Active"),
    ("used", "Used"),
    ("locked", "Locked"),
    ("expired", "Expired"),
    ("replaced", "Replaced"),
]


class EsignOtp(models.Model):
    """A one-time code sent by SMS to a signer; only its keyed hash is kept.

    Rate limits and wrong tries live here, in PostgreSQL, so that every worker sees them.
    """

    _name = "esign.otp"
    _description = "Signing one-time code"
    _order = "sent_at desc, id desc"
    _allow_sudo_commands = False

    signer_id = fields.Many2one("esign.signer", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="signer_id.company_id", store=True, index=True)
    salt = fields.Char(required=True, readonly=True)
    code_hash = fields.Char(required=True, readonly=True)
    sent_at = fields.Datetime(required=True, readonly=True, index=True)
    expires_at = fields.Datetime(required=True, readonly=True)
    attempts = fields.Integer(string="Wrong tries", readonly=True)
    state = fields.Selection(OTP_STATES, required=True, default="active", readonly=True, index=True)
    ip_address = fields.Char(string="IP address", readonly=True, index="btree_not_null")
    mobile = fields.Char(readonly=True)

    @api.model
    def _secret(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.secret")

    def _matches(self, code):
        self.ensure_one()
        code = "".join(char for char in (code or "") if char.isdigit())
        return len(code) == CODE_LENGTH and code_matches(code, self.code_hash, self._secret(), self.salt)

    @api.autovacuum
    def _gc_spent_codes(self):
        """Spent codes older than a week are of no use to any limit; locked ones still count for blocking."""
        week_ago = fields.Datetime.now() - timedelta(days=7)
        self.sudo().search([("state", "!=", "locked"), ("sent_at", "<", week_ago)]).unlink()

    # ------------------------------------------------------------------
    # Limits
    # ------------------------------------------------------------------

    @api.model
    def _count_since(self, domain, since):
        return self.sudo().search_count([*domain, ("sent_at", ">=", since)])

    @api.model
    def _request_problem(self, signer, ip_address):
        """Why no new code can be sent now (a translated sentence), or False."""
        company = signer.company_id
        now = fields.Datetime.now()
        if signer._otp_blocked():
            return self.env._(
                "Too many wrong codes: signing is blocked for your safety. The firm has been told and will contact you."
            )
        last = self.sudo().search([("signer_id", "=", signer.id)], limit=1)
        if last and company.esign_otp_resend_seconds:
            wait = (last.sent_at + timedelta(seconds=company.esign_otp_resend_seconds) - now).total_seconds()
            if wait > 0:
                return self.env._("Please wait %s seconds before asking for a new code.", int(wait) + 1)
        hour_ago = now - timedelta(hours=1)
        limit = company.esign_otp_hourly_limit
        if self._count_since([("signer_id", "=", signer.id)], hour_ago) >= limit:
            return self.env._("You asked for too many codes: please try again in an hour.")
        if ip_address and self._count_since([("ip_address", "=", ip_address)], hour_ago) >= limit * 4:
            return self.env._("Too many codes were asked from your connection: please try again in an hour.")
        return False

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _sms_text(self, signer, code):
        template = self.env.ref("engagement_letter_esign.sms_template_esign_otp").sudo()
        minutes = signer.company_id.esign_otp_validity_minutes
        rendered = template.with_context(esign_otp_code=code, esign_otp_minutes=minutes)._render_field(
            "body", signer.ids, compute_lang=True
        )
        return rendered[signer.id]

    @api.model
    def _send_sms(self, company, number, text):
        """Hand the text to the company's gateway; raise SmsGatewayError when it is not accepted."""
        try:
            config = company._esign_sms_gateway_config()
        except UserError as error:
            raise SmsGatewayError(str(error)) from error
        timeout = config["timeout"]
        gateway = config["gateway"]
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
        """Send a new code to the signer's mobile.

        Returns ``{"masked": ...}`` or ``{"error": ...}``; errors are returned, not raised, so that
        the attempt and its proof event are kept.
        """
        signer._lock_for_update()
        evidence = {"ip_address": ip_address, "user_agent": user_agent}
        collection = signer.collection_id
        problem = self._request_problem(signer, ip_address)
        if problem:
            collection._log_event("otp_refused", signer_id=signer.id, description=problem[:500], **evidence)
            return {"error": problem}
        masked = mask_mobile(signer.mobile)
        code = new_code()
        now = fields.Datetime.now()
        try:
            self._send_sms(signer.company_id, signer.mobile, self._sms_text(signer, code))
        except SmsGatewayError as error:
            collection._log_event(
                "otp_send_failed",
                signer_id=signer.id,
                description=self.env._("SMS to %(mobile)s failed: %(detail)s", mobile=masked, detail=error.detail)[
                    :500
                ],
                **evidence,
            )
            return {
                "error": self.env._(
                    "The code could not be sent by SMS right now. Please try again in a few minutes; "
                    "if it keeps failing, contact the firm."
                )
            }
        self.sudo().search([("signer_id", "=", signer.id), ("state", "=", "active")]).write({"state": "replaced"})
        salt = secrets.token_hex(8)
        self.sudo().create(
            {
                "signer_id": signer.id,
                "salt": salt,
                "code_hash": code_digest(code, self._secret(), salt),
                "sent_at": now,
                "expires_at": now + timedelta(minutes=signer.company_id.esign_otp_validity_minutes),
                "ip_address": ip_address,
                "mobile": signer.mobile,
            }
        )
        collection._log_event(
            "otp_sent", signer_id=signer.id, description=self.env._("Code sent by SMS to %s", masked), **evidence
        )
        return {"masked": masked}

    # ------------------------------------------------------------------
    # Checking
    # ------------------------------------------------------------------

    @api.model
    def _verify_for(self, signer, code, ip_address=None, user_agent=None):
        """Check the code the signer typed; returns False when it is right, else a sentence to show.

        The caller holds the signer's row lock, so a code is consumed at most once.
        """
        evidence = {"ip_address": ip_address, "user_agent": user_agent}
        collection = signer.collection_id
        if signer._otp_blocked():
            return self.env._(
                "Too many wrong codes: signing is blocked for your safety. The firm has been told and will contact you."
            )
        otp = self.sudo().search([("signer_id", "=", signer.id), ("state", "=", "active")], limit=1)
        if not otp:
            return self.env._("Please ask for a code first: it is sent by SMS to your mobile.")
        now = fields.Datetime.now()
        if otp.expires_at <= now:
            otp.write({"state": "expired"})
            collection._log_event("otp_expired", signer_id=signer.id, **evidence)
            return self.env._("This code has expired: please ask for a new one.")
        if otp._matches(code):
            otp.write({"state": "used"})
            collection._log_event(
                "otp_verified",
                signer_id=signer.id,
                description=self.env._("Code checked for %s", mask_mobile(otp.mobile)),
                **evidence,
            )
            return False
        attempts = otp.attempts + 1
        max_attempts = signer.company_id.esign_otp_max_attempts
        otp.write({"attempts": attempts, "state": "locked" if attempts >= max_attempts else "active"})
        collection._log_event(
            "otp_failed",
            signer_id=signer.id,
            description=self.env._("Wrong code (%(tries)s of %(max)s)", tries=attempts, max=max_attempts),
            **evidence,
        )
        if attempts < max_attempts:
            return self.env._(
                "This code is not right: %s tries left.",
                max_attempts - attempts,
            )
        collection._log_event("otp_locked", signer_id=signer.id, **evidence)
        if signer._otp_blocked():
            self._warn_blocked(signer)
            return self.env._(
                "Too many wrong codes: signing is blocked for your safety. The firm has been told and will contact you."
            )
        return self.env._("Too many wrong tries: this code is locked. Please ask for a new one.")

    @api.model
    def _warn_blocked(self, signer):
        collection = signer.collection_id
        collection._log_event("signer_blocked", signer_id=signer.id)
        message = self.env._(
            "%s entered too many wrong codes: their signature is blocked. "
            "Check their mobile number with them, then start a new collection.",
            signer.name,
        )
        collection._notify_preparer(Markup("<p>%s</p>") % message)
        collection._schedule_preparer_activity(
            "mail.mail_activity_data_warning", self.env._("Signer blocked after wrong codes: %s", signer.name)
        )
