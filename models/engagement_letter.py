import base64
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import is_html_empty

from ..services.error_message import join_errors

LETTER_STATES = [
    ("draft", "Draft"),
    ("edited", "Edited"),
    ("sent", "Sent"),
    ("client_signed", "Signed electronically"),
    ("signed", "Signed"),
    ("refused", "Refused"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3}
# What the letter's PDF says: changing it drops the PDF of an edited letter (rendered again when
# it is sent), and is refused once the letter is sent.
CONTENT_FIELDS = frozenset(
    {
        "partner_id",
        "contact_id",
        "mission_type_id",
        "kind",
        "fiscal_year_start",
        "fiscal_year_end",
        "start_date",
        "duration_years",
        "tacit_renewal",
        "notice_months",
        "fee_line_ids",
        "payment_terms",
        "specific_terms",
        "signatory_id",
    }
)
# A letter signed by the client at least can be renewed for the next year.
RENEWABLE_STATES = ("client_signed", "signed")
# Collection events that move the letter to a state of its own.
EVENT_STATES = {
    "launched": "sent",
    "done": "signed",
    "refused": "refused",
    "expired": "expired",
    "cancelled": "cancelled",
}


class EngagementLetter(models.Model):
    _name = "engagement.letter"
    _description = "Engagement letter"
    _inherit = ["mail.thread", "mail.activity.mixin", "esign.workflow.guard"]
    # The letter follows its collection: signed, refused... come from the signature workflow only.
    _esign_workflow_fields = ("state", "collection_id", "signed_attachment_id", "evidence_report_id")
    _order = "fiscal_year_start desc, id desc"

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        LETTER_STATES,
        string="Status",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        default="draft",
    )
    kind = fields.Selection(
        [("quote", "Quote"), ("final", "Final letter")], required=True, default="final", tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        required=True,
        index=True,
        tracking=True,
        help="The company whose file it is.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Client contact",
        domain="[('id', 'child_of', partner_id)]",
        help="The person who signs for the client.",
    )
    mission_type_id = fields.Many2one("engagement.letter.mission.type", required=True, tracking=True)
    fiscal_year_start = fields.Date(required=True, default=lambda self: date(fields.Date.today().year, 1, 1))
    fiscal_year_end = fields.Date(required=True, default=lambda self: date(fields.Date.today().year, 12, 31))
    start_date = fields.Date(string="Mission start", default=fields.Date.context_today)
    duration_years = fields.Integer(string="Duration (years)", default=1)
    tacit_renewal = fields.Boolean(default=True)
    notice_months = fields.Integer(string="Notice period (months)", default=3)
    next_renewal_date = fields.Date(compute="_compute_next_renewal_date", store=True)
    fee_line_ids = fields.One2many("engagement.letter.fee.line", "letter_id", string="Fees", copy=True)
    billing_line_ids = fields.One2many("engagement.letter.billing.line", "letter_id", string="Billing plan")
    invoice_count = fields.Integer(compute="_compute_invoice_count", groups="account.group_account_invoice")
    amount_yearly = fields.Monetary(
        string="Yearly fees", compute="_compute_amount_yearly", currency_field="currency_id"
    )
    payment_terms = fields.Text(default="Paiement à réception de facture, par prélèvement ou virement.")
    manager_id = fields.Many2one("res.users", string="File manager", default=lambda self: self.env.user, tracking=True)
    signatory_id = fields.Many2one(
        "res.users",
        string="Firm signatory",
        tracking=True,
        default=lambda self: self.env.company.engagement_signatory_id,
        domain=lambda self: [("groups_id", "in", self.env.ref("engagement_letter_esign.group_esign_signatory").ids)],
    )
    specific_terms = fields.Html(string="Specific terms")
    collection_id = fields.Many2one("esign.collection", string="Signature collection", readonly=True, copy=False)
    auto_receive = fields.Boolean(
        string="Receive the signed document and generate the plans", readonly=True, copy=False
    )
    billing_day = fields.Integer(string="Preferred billing day", default=1, copy=False)
    prepare_accounting_file = fields.Boolean(readonly=True, copy=False)
    pdf = fields.Binary(string="Letter PDF", attachment=True, readonly=True, copy=False)
    pdf_name = fields.Char(compute="_compute_pdf_name")
    signed_attachment_id = fields.Many2one("ir.attachment", string="Signed letter", readonly=True, copy=False)
    evidence_report_id = fields.Many2one(
        "ir.attachment", string="Evidence report copy", readonly=True, copy=False, ondelete="set null"
    )
    previous_letter_id = fields.Many2one("engagement.letter", string="Previous letter", readonly=True, copy=False)
    renewal_letter_ids = fields.One2many("engagement.letter", "previous_letter_id", string="Renewals", readonly=True)

    _sql_constraints = [
        (
            "fiscal_year_check",
            "CHECK(fiscal_year_end > fiscal_year_start)",
            "The fiscal year must end after it starts.",
        ),
        ("billing_day_check", "CHECK(billing_day BETWEEN 1 AND 28)", "The preferred billing day is between 1 and 28."),
    ]

    @api.depends("fee_line_ids.amount", "fee_line_ids.periodicity")
    def _compute_amount_yearly(self):
        factor = {"monthly": 12, "quarterly": 4, "yearly": 1, "once": 1}
        for letter in self:
            letter.amount_yearly = sum(line.amount * factor[line.periodicity] for line in letter.fee_line_ids)

    @api.depends("billing_line_ids.invoice_id")
    def _compute_invoice_count(self):
        for letter in self:
            letter.invoice_count = len(letter.billing_line_ids.invoice_id)

    @api.depends("tacit_renewal", "fiscal_year_end", "state", "renewal_letter_ids.state")
    def _compute_next_renewal_date(self):
        """Until next year's letter is prepared (and not cancelled): then it has nothing left to renew."""
        for letter in self:
            renews = letter.tacit_renewal and letter.state in RENEWABLE_STATES and not letter._renewal()
            letter.next_renewal_date = letter.fiscal_year_end + relativedelta(days=1) if renews else False

    def _compute_pdf_name(self):
        for letter in self:
            letter.pdf_name = f"Lettre de mission {letter.name} - {letter.partner_id.name or ''}.pdf".replace("/", "-")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("engagement.letter") or "/"
        return super().create(vals_list)

    def write(self, vals):
        if "pdf" in vals and self.filtered(lambda letter: letter.state not in ("draft", "edited")):
            raise UserError(self.env._("The PDF of a sent letter cannot change: it is the document being signed."))
        content = sorted(CONTENT_FIELDS.intersection(vals))
        if not content:
            return super().write(vals)
        self._check_content_editable()
        edited = self.filtered(lambda letter: letter.state == "edited")
        before = {letter.id: letter.read(content)[0] for letter in edited}
        result = super().write(vals)
        stale = edited.filtered(
            lambda letter: "fee_line_ids" in content or letter.read(content)[0] != before[letter.id]
        )
        if stale:
            super(EngagementLetter, stale).write({"pdf": False})
        return result

    def _check_content_editable(self):
        """What a letter says (its terms, its fees) changes while it is a draft or edited only."""
        sent = self.filtered(lambda letter: letter.state not in ("draft", "edited"))
        if sent:
            raise UserError(
                self.env._(
                    "The content of a sent letter cannot change: %s. Reset it to draft first.",
                    ", ".join(sent.mapped("name")),
                )
            )

    def message_post(self, **kwargs):
        # Sent by e-mail through the composer (no electronic signature).
        if self.env.context.get("mark_engagement_letter_sent"):
            self.filtered(lambda letter: letter.state == "edited")._esign_write({"state": "sent"})
        return super().message_post(**kwargs)

    # ------------------------------------------------------------------
    # Edition and checks
    # ------------------------------------------------------------------

    def _missing_mandatory_content(self):
        """Labels of the mandatory clauses of the mission type that are still empty."""
        self.ensure_one()
        missing = []
        for clause in self.mission_type_id.mandatory_clause_ids:
            value = self[clause.letter_field]
            if not value or (
                isinstance(value, str) and self._fields[clause.letter_field].type == "html" and is_html_empty(value)
            ):
                missing.append(clause.name)
        if not self.fee_line_ids and self.env._("Fees") not in missing:
            missing.append(self.env._("Fees"))
        return missing

    def _send_error_message(self):
        """What prevents sending the letter, one line per problem, or False."""
        self.ensure_one()
        lines = []
        missing = self._missing_mandatory_content()
        if missing:
            lines.append(self.env._("Mandatory content missing: %s.", ", ".join(missing)))
        if self.company_id.engagement_aml_required:
            client = self.partner_id.commercial_partner_id
            if not client.aml_check_date or not client.aml_risk_level:
                lines.append(
                    self.env._(
                        "Anti-money-laundering: record the identity check date and the risk level of %s first.",
                        client.name,
                    )
                )
        return join_errors(*lines)

    def _check_sendable(self):
        for letter in self:
            message = letter._send_error_message()
            if message:
                raise UserError(message)

    def _render_pdf(self):
        """The letter as the PDF the client signs: always a real PDF, also when Odoo runs its tests
        (where reports otherwise render as HTML)."""
        self.ensure_one()
        content, _type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("engagement_letter_esign.engagement_letter_report", res_ids=self.ids)
        )
        return content

    def action_edit(self):
        """Render the letter as a PDF: the document that is sent and signed."""
        for letter in self:
            if letter.state not in ("draft", "edited"):
                raise UserError(self.env._("Only a draft or edited letter can be edited."))
            letter.write({"pdf": base64.b64encode(letter._render_pdf())})
            letter._esign_write({"state": "edited"})
        return True

    def action_reset_draft(self):
        self.check_access("write")
        self.filtered(lambda letter: letter.state in ("edited", "refused", "expired", "cancelled"))._esign_write(
            {"state": "draft", "collection_id": False}
        )
        return True

    def action_send(self):
        """Open the "Préparer la collecte" wizard."""
        self.ensure_one()
        if self.state == "draft" or (self.state == "edited" and not self.pdf):
            self.action_edit()
        if self.state != "edited":
            raise UserError(self.env._("Only an edited letter can be sent."))
        self._check_sendable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Prepare the collection"),
            "res_model": "engagement.letter.send.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_letter_id": self.id},
        }

    def action_open_collection(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "esign.collection",
            "res_id": self.collection_id.id,
            "view_mode": "form",
        }

    def action_open_invoices(self):
        """The draft (or since posted) invoices made from the billing plan."""
        self.ensure_one()
        invoices = self.billing_line_ids.invoice_id
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("id", "in", invoices.ids)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        if len(invoices) == 1:
            action.update({"views": [(False, "form")], "view_mode": "form", "res_id": invoices.id})
        return action

    # ------------------------------------------------------------------
    # Following the signature collection
    # ------------------------------------------------------------------

    def _event_messages(self):
        return {
            "launched": self.env._("Signature collection %s launched: the letter is sent."),
            "client_signed": self.env._("The client has signed the letter electronically (collection %s)."),
            "done": self.env._("The letter is signed by the client and the firm (collection %s)."),
            "refused": self.env._("The signature of the letter was refused (collection %s)."),
            "expired": self.env._("The signature collection %s expired before the letter was signed."),
            "cancelled": self.env._("The signature collection %s was cancelled."),
        }

    @api.model
    def _on_esign_collection_event(self, collections, event, signer=None):
        letters = self.search([("collection_id", "in", collections.ids)])
        if event == "signed" and signer:
            clients = signer.collection_id.signer_ids.filtered(lambda s: s.role == "client")
            if signer.role != "client" or any(s.state != "signed" for s in clients):
                return
            letters = letters.filtered(lambda letter: letter.state == "sent")
            letters._esign_write({"state": "client_signed"})
            letters._post_collection_event("client_signed")
            letters._notify_signatory_client_signed()
            return
        if event == "evidence_report":
            letters.filtered("auto_receive")._attach_evidence_reports()
            return
        new_state = EVENT_STATES.get(event)
        if not new_state:
            return
        letters._esign_write({"state": new_state})
        letters._post_collection_event(event)
        if event == "done":
            letters.filtered("auto_receive")._on_signed()

    def _post_collection_event(self, event):
        message = self._event_messages()[event]
        for letter in self:
            letter.message_post(body=message % letter.collection_id.name)

    def _notify_signatory_client_signed(self):
        """E-mail the firm's signatory (editable template), logged in the chatter."""
        template = self.env.ref(
            "engagement_letter_esign.mail_template_engagement_letter_client_signed", raise_if_not_found=False
        )
        for letter in self.filtered("signatory_id"):
            if template:
                letter.message_post_with_source(
                    template.sudo(), subtype_xmlid="mail.mt_comment", message_type="notification"
                )
            else:
                letter.message_post(
                    body=self.env._("The client has signed the engagement letter: it is your turn to sign."),
                    partner_ids=letter.signatory_id.partner_id.ids,
                    subtype_xmlid="mail.mt_comment",
                )

    def _on_signed(self):
        """Signed by all: keep the signed copies, plan the billing and start the mission."""
        self._attach_signed_documents()
        self.filtered(lambda letter: letter.kind == "final")._generate_billing_plan()
        self._launch_activity_plans()

    def _attach_signed_documents(self):
        Attachment = self.env["ir.attachment"]
        for letter in self:
            collection = letter.collection_id
            for document in collection.document_ids:
                data = document.signed_pdf or document.original_pdf
                if not data:
                    continue
                attachment = Attachment.create(
                    {
                        "name": f"{document.name.removesuffix('.pdf')} (signée).pdf",
                        "datas": data,
                        "res_model": letter._name,
                        "res_id": letter.id,
                        "mimetype": "application/pdf",
                    }
                )
                if not letter.signed_attachment_id:
                    letter._esign_write({"signed_attachment_id": attachment.id})

    def _attach_evidence_reports(self):
        """Keep a copy of the collection's evidence report on the letter: it outlives the purge."""
        for letter in self:
            report = letter.collection_id.evidence_report_id
            if report:
                letter._esign_write(
                    {"evidence_report_id": report.copy({"res_model": letter._name, "res_id": letter.id}).id}
                )

    # ------------------------------------------------------------------
    # Billing plan
    # ------------------------------------------------------------------

    def _due_dates(self, periodicity):
        """Due dates of a fee line over the fiscal year, on the preferred billing day."""
        self.ensure_one()
        day = min(max(self.billing_day or 1, 1), 28)
        start, end = self.fiscal_year_start, self.fiscal_year_end
        first = date(start.year, start.month, day)
        if first < start:
            first += relativedelta(months=1)
        if periodicity not in PERIOD_MONTHS:
            return [first]
        step = PERIOD_MONTHS[periodicity]
        dates, current = [], first
        while current <= end:
            dates.append(current)
            current = first + relativedelta(months=step * len(dates))
        return dates

    def _generate_billing_plan(self):
        Line = self.env["engagement.letter.billing.line"]
        self.billing_line_ids._esign_unlink()
        Line._esign_create(
            [
                {
                    "letter_id": letter.id,
                    "fee_line_id": line.id,
                    "name": line.name,
                    "due_date": due,
                    "amount": line.amount,
                }
                for letter in self
                for line in letter.fee_line_ids
                for due in letter._due_dates(line.periodicity)
            ]
        )

    # ------------------------------------------------------------------
    # Activity plans
    # ------------------------------------------------------------------

    def _launch_activity_plans(self):
        """Start "Démarrage de mission" and, when asked, "Préparation du dossier comptable" for the file
        manager, through Odoo's own plan launcher (responsibles, deadlines, chatter summary)."""
        start = self.env.ref("engagement_letter_esign.engagement_letter_plan_start", raise_if_not_found=False)
        accounting = self.env.ref("engagement_letter_esign.engagement_letter_plan_accounting", raise_if_not_found=False)
        today = fields.Date.context_today(self)
        groups = {}
        for letter in self:
            plans = [start, accounting if letter.prepare_accounting_file else None]
            for plan in filter(None, plans):
                key = (plan, letter.manager_id or self.env.user)
                groups[key] = groups.get(key, self.browse()) | letter
        for (plan, manager), letters in groups.items():
            schedule = self.env["mail.activity.schedule"].with_context(active_model=self._name, active_ids=letters.ids)
            schedule.create(
                {
                    "plan_id": plan.id,
                    "plan_on_demand_user_id": manager.id,
                    "plan_date": today,
                }
            ).action_schedule_plan()

    # ------------------------------------------------------------------
    # Renewal
    # ------------------------------------------------------------------

    def _renewal(self):
        """Next year's letter prepared from this one, unless cancelled."""
        self.ensure_one()
        return self.renewal_letter_ids.filtered(lambda renewal: renewal.state != "cancelled")[:1]

    def action_prepare_renewal(self):
        """Next year's letters for the selected ones, in one go; a letter already renewed is not again."""
        unsigned = self.filtered(lambda letter: letter.state not in RENEWABLE_STATES)
        if unsigned:
            raise UserError(
                self.env._("Only signed letters can be renewed: %s.", ", ".join(unsigned.mapped("display_name")))
            )
        to_renew = self.filtered(lambda letter: not letter._renewal())
        news = self.create(
            [
                letter.copy_data(
                    {
                        "fiscal_year_start": letter.fiscal_year_start + relativedelta(years=1),
                        "fiscal_year_end": letter.fiscal_year_end + relativedelta(years=1),
                        "start_date": letter.fiscal_year_end + relativedelta(days=1),
                        "previous_letter_id": letter.id,
                    }
                )[0]
                for letter in to_renew
            ]
        )
        for letter in self - to_renew:
            news |= letter._renewal()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Renewed letters"),
            "res_model": "engagement.letter",
            "view_mode": "list,form",
            "domain": [("id", "in", news.ids)],
        }
