from odoo import models


class EsignCollection(models.Model):
    """The collection's proof journal (events written in batches, the chain checked) and its chatter
    (steps told to the preparer in their language)."""

    _inherit = "esign.collection"

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
