from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models

RATE_LIMIT_PARAM = "engagement_letter_esign.verify_rate_limit"
RATE_WINDOW_PARAM = "engagement_letter_esign.verify_rate_window_minutes"
DEFAULT_RATE_LIMIT = 20
DEFAULT_RATE_WINDOW = 10


class EsignVerifyAttempt(models.Model):
    """One upload to the public verifier, so that each address gets only so many per window.

    Kept in PostgreSQL, not in a worker's memory, so that every worker counts the same uploads.
    No access rights: only the system (sudo) reads or writes these rows.
    """

    _name = "esign.verify.attempt"
    _description = "Upload to the public verifier"
    _order = "attempt_date desc, id desc"
    _log_access = False

    ip_address = fields.Char(string="IP address", required=True, index=True, readonly=True)
    attempt_date = fields.Datetime(
        string="Date", required=True, index=True, readonly=True, default=lambda self: fields.Datetime.now()
    )

    @api.model
    def _rate_settings(self):
        """(uploads allowed, window in minutes), from the system parameters; defaults when unset or wrong."""
        params = self.env["ir.config_parameter"].sudo()
        values = []
        for key, default in ((RATE_LIMIT_PARAM, DEFAULT_RATE_LIMIT), (RATE_WINDOW_PARAM, DEFAULT_RATE_WINDOW)):
            try:
                value = int(params.get_param(key, default))
            except (TypeError, ValueError):
                value = default
            values.append(value if value > 0 else default)
        return tuple(values)

    @api.model
    def _count_upload(self, ip_address):
        """Count one upload from ``ip_address``: True if allowed, False once the address is over its limit.

        Done in a cursor of its own, committed when the ``with`` block ends: the row counts even if
        the check that follows fails, and the per-address advisory lock that makes the count exact
        across workers is held for milliseconds, not for the whole check. Refused uploads are not
        stored, so a flood adds no rows beyond the limit.
        """
        ip_address = ip_address or "unknown"
        limit, window = self._rate_settings()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{self._name}:{ip_address}"])
            since = fields.Datetime.now() - timedelta(minutes=window)
            Attempt = env[self._name]
            if Attempt.search_count([("ip_address", "=", ip_address), ("attempt_date", ">=", since)]) >= limit:
                return False
            Attempt.create({"ip_address": ip_address})
        return True  # leaving the block commits that cursor

    @api.autovacuum
    def _gc_old_attempts(self):
        """Uploads older than a day count for nothing any more."""
        self.sudo().search([("attempt_date", "<", fields.Datetime.now() - timedelta(days=1))]).unlink()
