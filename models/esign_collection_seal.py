import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from ..services import pades, stamp_layout
from ..services.stamp_appearance import latin_text
from .esign_collection import STAMP_ANCHORS

_logger = logging.getLogger(__name__)


class EsignCollection(models.Model):
    """The firm's side of the signatures: the certification at launch (every stamp laid out), the seal once
    every signer has signed, and the renewal of the archive timestamps."""

    _inherit = "esign.collection"

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
                    # The last signatures' messages come before the one that closes the collection.
                    collection.signer_ids._send_due_notifications()
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
        # Code translations, read from the module's .po files: the page is in the firm's language also
        # while the module installs (its demonstration data), before the field labels are translated.
        roles = {
            "client": collection.env._("Client"),
            "firm": collection.env._("Firm"),
            "other": collection.env._("Other"),
        }
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
            latin_text(collection.env._("Signature page")),
            (latin_text(intro),),
            tuple(latin_text(line) for line in lines),
            [latin_text(label) for label in labels],
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

    def _esign_certify_documents(self, checked_layouts):
        """The firm certifies each document before anyone signs: every signature field laid out, then
        only signing allowed. Done at launch, so that a signer's request carries only their signature.

        ``checked_layouts`` holds the stamp layouts the launch check computed ({document: (layout, signature
        page)}); a document it skipped is laid out here. All documents are certified before anything
        is written, so a failure launches nothing.
        """
        for collection in self:
            company = collection.company_id
            credential = company._esign_seal_credential()
            timestamper = company._esign_timestamper()
            layouts = {doc: checked_layouts.get(doc) or doc._esign_compute_layout() for doc in collection.document_ids}
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

    def _esign_certify_in_flight(self):
        """Collections launched before the certification moved to the launch: the firm certifies now
        the documents nobody signed yet, with the fields of their layout (signers sign certified
        documents only). When the timestamp authority cannot be reached, the certification goes
        without its timestamp rather than stop the upgrade; the signers' signatures carry theirs.
        Returns the documents certified."""
        certified = self.env["esign.document"]
        for collection in self.filtered(lambda c: c.state == "in_progress"):
            company = collection.company_id
            pending = collection.document_ids.filtered(lambda d: d._current_pdf() and not d._esign_signed_elsewhere())
            if not pending:
                continue
            credential = company._esign_seal_credential()
            timestamper = company._esign_timestamper()
            for document in pending:
                places, signature_page = document._esign_places()
                try:
                    data = document._esign_certify(places, credential, timestamper, signature_page)
                except UserError:
                    _logger.warning("Certifying %s without a timestamp: authority unreachable", document.name)
                    data = document._esign_certify(places, credential, None, signature_page)
                document._esign_store_revision(data)
                certified |= document
            collection._log_document_events(
                "certified",
                certified & pending,
                description=company._esign_env()._("Certified by %s", company.name)[:250],
            )
        return certified

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
