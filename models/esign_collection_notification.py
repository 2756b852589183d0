import logging

from odoo import api, models
from odoo.tools.misc import hash_sign, verify_hash_signed

_logger = logging.getLogger(__name__)


class EsignCollection(models.Model):
    """What a collection tells people: the e-mails of its templates, the secure copy links of the signed
    documents, the record it was made for (an engagement letter)."""

    _inherit = "esign.collection"

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
