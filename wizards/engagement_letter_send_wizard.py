from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize

from ..services.error_message import error_lines, join_errors


class EngagementLetterSendWizard(models.TransientModel):
    _name = "engagement.letter.send.wizard"
    _description = "Prepare the signature collection of an engagement letter"

    letter_id = fields.Many2one("engagement.letter", required=True, ondelete="cascade")
    kind = fields.Selection(related="letter_id.kind")
    client_id = fields.Many2one(related="letter_id.partner_id")
    contact_id = fields.Many2one(
        "res.partner",
        string="Client contact",
        required=True,
        domain="[('id', 'child_of', client_id), ('id', '!=', client_id)]",
        compute="_compute_contact_id",
        store=True,
        precompute=True,
        readonly=False,
    )
    email_subject = fields.Char(
        string="E-mail subject", compute="_compute_email", store=True, precompute=True, readonly=False
    )
    email_body = fields.Html(
        string="E-mail text", compute="_compute_email", store=True, precompute=True, readonly=False
    )
    use_esign = fields.Boolean(string="Sign the document electronically", default=True)
    signer_contact_id = fields.Many2one(
        "res.partner",
        string="Signer contact",
        domain="[('id', 'child_of', client_id)]",
        compute="_compute_contact_id",
        store=True,
        precompute=True,
        readonly=False,
    )
    auto_receive = fields.Boolean(
        string="Receive the signed document automatically and generate the activity and billing plan"
    )
    billing_day = fields.Integer(string="Preferred billing day", default=1)
    prepare_accounting_file = fields.Boolean(string="Prepare the accounting file")
    manager_id = fields.Many2one(
        "res.users", string="File manager", compute="_compute_contact_id", store=True, precompute=True, readonly=False
    )
    company_id = fields.Many2one(related="letter_id.company_id")
    signatory_id = fields.Many2one(
        "res.users",
        string="Firm signatory",
        compute="_compute_signatory_id",
        store=True,
        precompute=True,
        readonly=False,
        domain="[('groups_id', 'in', signatory_group_ids), ('company_ids', 'in', company_id), ('share', '=', False)]",
        help="Signs the letter for the firm after the client; written on the letter.",
    )
    signatory_group_ids = fields.Many2many("res.groups", compute="_compute_signatory_group_ids")
    problems = fields.Text(compute="_compute_problems", help="What must be fixed before the collection is prepared.")
    problems_html = fields.Html(compute="_compute_problems", sanitize=False)

    @api.depends("letter_id")
    def _compute_contact_id(self):
        for wizard in self:
            letter = wizard.letter_id
            wizard.contact_id = letter.contact_id
            wizard.signer_contact_id = letter.contact_id
            wizard.manager_id = letter.manager_id

    @api.depends("letter_id")
    def _compute_signatory_id(self):
        """The letter's signatory, else the firm signatory of the settings."""
        for wizard in self:
            letter = wizard.letter_id
            wizard.signatory_id = letter.signatory_id or letter.company_id.engagement_signatory_id

    def _compute_signatory_group_ids(self):
        self.signatory_group_ids = self.env.ref("engagement_letter_esign.group_esign_signatory")

    @api.depends("letter_id", "use_esign", "contact_id")
    def _compute_email(self):
        """Signed online, the client gets a link and nothing attached; sent by e-mail, the PDF is attached.

        Written in the client's language (else the firm's), whoever prepares the collection.
        """
        for wizard in self:
            lang = wizard.contact_id.lang or wizard.letter_id.company_id._esign_lang()
            letter = wizard.letter_id.with_context(lang=lang)
            env = letter.env
            quote = letter.kind == "quote"
            values = {
                "mission": letter.mission_type_id.name or "",
                "year": letter.fiscal_year_end.year if letter.fiscal_year_end else "",
                "firm": letter.company_id.name,
            }
            if wizard.use_esign and quote:
                subject = env._("Your quote “%(mission)s” to sign online", **values)
                body = env._(
                    "<p>Madam, Sir,</p><p>Our quote for the mission “%(mission)s”, fiscal year %(year)s, is ready "
                    "to be signed online. You will receive a personal link by e-mail to read and sign it, with "
                    "a code sent by SMS.</p><p>Kind regards,<br/>%(firm)s</p>",
                    **values,
                )
            elif wizard.use_esign:
                subject = env._("Your engagement letter “%(mission)s” to sign online", **values)
                body = env._(
                    "<p>Madam, Sir,</p><p>The engagement letter of our mission “%(mission)s”, fiscal year "
                    "%(year)s, is ready to be signed online. You will receive a personal link by e-mail to read "
                    "and sign it, with a code sent by SMS.</p><p>Kind regards,<br/>%(firm)s</p>",
                    **values,
                )
            elif quote:
                subject = env._("Your quote “%(mission)s”", **values)
                body = env._(
                    "<p>Madam, Sir,</p><p>Please find attached our quote for the mission “%(mission)s”, fiscal "
                    "year %(year)s.</p><p>Kind regards,<br/>%(firm)s</p>",
                    **values,
                )
            else:
                subject = env._("Your engagement letter “%(mission)s”", **values)
                body = env._(
                    "<p>Madam, Sir,</p><p>Please find attached the engagement letter of our mission "
                    "“%(mission)s”, fiscal year %(year)s.</p><p>Kind regards,<br/>%(firm)s</p>",
                    **values,
                )
            wizard.email_subject = subject
            wizard.email_body = body

    def _collection_subject(self):
        """The collection's title, shown on the signing page: what is signed, not an e-mail subject."""
        letter = self.letter_id
        values = {"mission": letter.mission_type_id.name or "", "client": letter.partner_id.name or ""}
        if letter.kind == "quote":
            return self.env._("Quote “%(mission)s” - %(client)s", **values)
        return self.env._("Engagement letter “%(mission)s” - %(client)s", **values)

    @api.depends(
        "letter_id",
        "contact_id",
        "signer_contact_id",
        "signatory_id",
        "use_esign",
        "auto_receive",
        "billing_day",
    )
    def _compute_problems(self):
        """Every check of the preparation, shown as soon as the wizard opens and on each change."""
        for wizard in self:
            message = wizard._prepare_error_message() if wizard.letter_id else False
            wizard.problems = message
            wizard.problems_html = (
                Markup("<ul class='mb-0'>%s</ul>")
                % Markup().join(Markup("<li>%s</li>") % line for line in error_lines(message))
                if message
                else False
            )

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    def _mobile_error_message(self, partner):
        """Why the partner's mobile cannot receive the SMS code, in words, or False."""
        signer_model = self.env["esign.signer"]
        country = partner.country_id or self.letter_id.company_id.country_id
        if not partner.mobile:
            return self.env._("%s has no mobile number: the one-time code goes by SMS.", partner.name)
        try:
            signer_model._normalize_mobile(partner.mobile, country)
        except ValidationError as error:
            return str(error.args[0])
        return False

    def _signatory_error_message(self):
        """Why the firm signatory cannot sign the collection, one line per problem, or False."""
        company = self.letter_id.company_id
        signatory = self.signatory_id
        if not signatory:
            return self.env._("No firm signatory is set on the letter or in the settings: choose one.")
        if not signatory.has_group("engagement_letter_esign.group_esign_signatory"):
            return self.env._("%s does not have the Signatory right.", signatory.name)
        if company not in signatory.company_ids:
            return self.env._("%(user)s cannot sign for %(company)s.", user=signatory.name, company=company.name)
        lines = []
        if not email_normalize(signatory.partner_id.email or ""):
            lines.append(self.env._("Firm signatory: %s has no valid e-mail address.", signatory.name))
        mobile = self._mobile_error_message(signatory.partner_id)
        if mobile:
            lines.append(self.env._("Firm signatory: %s", mobile))
        return join_errors(*lines)

    def _signer_contact_error_message(self):
        """Why the client's signer contact cannot sign, one line per problem, or False."""
        contact = self.signer_contact_id
        if not contact:
            return self.env._("Choose the signer contact.")
        lines = []
        if contact.is_company or len((contact.name or "").split()) < 2:
            lines.append(self.env._("The signer contact %s must have a first and a last name.", contact.name))
        if not email_normalize(contact.email or ""):
            lines.append(self.env._("The signer contact %s has no valid e-mail address.", contact.name))
        lines.append(self._mobile_error_message(contact))
        return join_errors(*lines)

    def _prepare_error_message(self):
        """Every missing prerequisite of the preparation, one line per problem, or False."""
        self.ensure_one()
        letter = self.letter_id
        lines = [letter._send_error_message()]
        if not self.contact_id:
            lines.append(self.env._("Choose the client contact."))
        if self.auto_receive and letter.kind == "quote":
            lines.append(
                self.env._("A quote is not received automatically: the billing plan is made from a final letter.")
            )
        if not 1 <= self.billing_day <= 28:
            lines.append(self.env._("The preferred billing day is between 1 and 28."))
        if not self.use_esign:
            if self.contact_id and not email_normalize(self.contact_id.email or ""):
                lines.append(self.env._("The client contact %s has no valid e-mail address.", self.contact_id.name))
            return join_errors(*lines)
        company = letter.company_id
        if not company.esign_enabled:
            lines.append(self.env._("Electronic signature is not enabled: turn it on in Settings (%s).", company.name))
        lines += [self._signatory_error_message(), self._signer_contact_error_message()]
        return join_errors(*lines)

    def _check(self):
        message = self._prepare_error_message()
        if message:
            raise UserError(
                self.env._("The collection cannot be prepared yet:") + "\n- " + "\n- ".join(error_lines(message))
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_prepare(self):
        """Create the collection, waiting for launch, or send the letter by e-mail."""
        self.ensure_one()
        self._check()
        letter = self.letter_id
        letter.write(
            {
                "contact_id": self.contact_id.id,
                "signatory_id": self.signatory_id.id,
                "manager_id": self.manager_id.id,
                "auto_receive": self.use_esign and self.auto_receive and letter.kind == "final",
                "billing_day": self.billing_day,
                "prepare_accounting_file": self.prepare_accounting_file,
            }
        )
        # Rendered again when the contact chosen here is not the one the PDF names.
        if not letter.pdf:
            letter.action_edit()
        if not self.use_esign:
            return self._open_mail_composer()
        collection = self._create_collection()
        letter._esign_write({"collection_id": collection.id})
        letter.message_post(body=self.env._("Signature collection %s prepared, waiting for launch.", collection.name))
        return letter.action_open_collection()

    def _create_collection(self):
        letter = self.letter_id
        copies = self.contact_id - self.signer_contact_id
        collection = self.env["esign.collection"].create(
            {
                "subject": self._collection_subject(),
                "email_subject": self.email_subject,
                "email_body": self.email_body,
                "company_id": letter.company_id.id,
                "res_model": letter._name,
                "res_id": letter.id,
                "copy_partner_ids": [Command.set(copies.ids)],
                "document_ids": [Command.create({"name": letter.pdf_name, "original_pdf": letter.pdf})],
                "signer_ids": [
                    Command.create({"partner_id": self.signer_contact_id.id, "signing_order": 1, "role": "client"}),
                    Command.create(
                        {"partner_id": letter.signatory_id.partner_id.id, "signing_order": 2, "role": "firm"}
                    ),
                ],
            }
        )
        collection.action_mark_ready()
        return collection

    def _open_mail_composer(self):
        letter = self.letter_id
        attachment = self.env["ir.attachment"].create(
            {
                "name": letter.pdf_name,
                "datas": letter.pdf,
                "res_model": letter._name,
                "res_id": letter.id,
                "mimetype": "application/pdf",
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": letter._name,
                "default_res_ids": letter.ids,
                "default_composition_mode": "comment",
                "default_subject": self.email_subject,
                "default_body": self.email_body,
                "default_partner_ids": self.contact_id.ids,
                "default_attachment_ids": [Command.set(attachment.ids)],
                "mark_engagement_letter_sent": True,
            },
        }
