import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from .esign_collection import CRON_BATCH_SIZE, SEAL_RETRY_MINUTES

_logger = logging.getLogger(__name__)


class EsignCollection(models.Model):
    """The scheduled actions of collections: expiry, purge, reminders, seal queue, evidence reports and
    archive timestamps; each claims its due rows (esign.claim.mixin), several workers at once."""

    _inherit = "esign.collection"

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
