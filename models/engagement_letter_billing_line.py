import logging

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date

_logger = logging.getLogger(__name__)

CHUNK_SIZE = 200


class EngagementLetterBillingLine(models.Model):
    """The billing plan of a signed letter: made from its fees at signature, invoiced by the scheduled
    action; nobody adds a line, changes an amount or puts an invoiced line back to invoice it twice."""

    _name = "engagement.letter.billing.line"
    _description = "Engagement letter billing plan line"
    _order = "due_date, id"
    _inherit = ["esign.workflow.guard", "esign.claim.mixin"]
    _esign_workflow_fields = ("letter_id", "fee_line_id", "name", "due_date", "amount", "state", "invoice_id")

    letter_id = fields.Many2one("engagement.letter", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="letter_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="letter_id.currency_id")
    fee_line_id = fields.Many2one("engagement.letter.fee.line", ondelete="set null")
    name = fields.Char(string="Label", required=True)
    due_date = fields.Date(required=True, index=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    # Set once by the scheduled action: a deleted draft invoice is not made again behind the user's back.
    state = fields.Selection(
        [("planned", "Planned"), ("invoiced", "Invoiced")],
        string="Status",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default="planned",
    )
    invoice_id = fields.Many2one(
        "account.move",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        groups="account.group_account_invoice",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self._esign_in_workflow():
            raise AccessError(self.env._("The billing plan is made from the signed letter's fees only."))
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_by_the_plan_only(self):
        if not self._esign_in_workflow():
            raise UserError(self.env._("A billing plan line cannot be deleted: the plan follows the signed letter."))

    # ------------------------------------------------------------------
    # Draft invoices of the lines that fall due
    # ------------------------------------------------------------------

    @api.model
    def _due_lines_from(self, today, company_ids):
        return SQL(
            """
              FROM engagement_letter_billing_line claimed
              JOIN engagement_letter letter ON letter.id = claimed.letter_id
             WHERE claimed.state = 'planned'
               AND claimed.due_date <= %s
               AND letter.state = 'signed'
               AND claimed.company_id = ANY(%s)
            """,
            today,
            company_ids,
        )

    @api.model
    def _sale_journals(self):
        """The sale journal of each company that has one: without it no invoice can be made."""
        journals = self.env["account.journal"].sudo().search([("type", "=", "sale")], order="sequence, id")
        by_company = {}
        for journal in journals:
            by_company.setdefault(journal.company_id.id, journal)
        return by_company

    @api.model
    def _warn_companies_without_journal(self, today, journals):
        self.env.flush_all()
        domain = [
            ("state", "=", "planned"),
            ("due_date", "<=", today),
            ("letter_id.state", "=", "signed"),
            ("company_id", "not in", list(journals)),
        ]
        for group in self._read_group(domain, ["company_id"], ["__count"]):
            company, count = group
            _logger.warning(
                "Engagement letters: %s billing line(s) of %s fall due but the company has no sale journal: "
                "no invoice made. Install a chart of accounts.",
                count,
                company.name,
            )

    @api.model
    def _cron_create_invoices(self, chunk_size=CHUNK_SIZE):
        """Make the draft customer invoice of each billing line due on a signed letter, chunk by chunk.

        Several workers can run it at once: each claims different lines (SKIP LOCKED).
        """
        today = fields.Date.context_today(self)
        journals = self._sale_journals()
        self._warn_companies_without_journal(today, journals)
        company_ids = list(journals)
        return self._esign_process_due(
            self._due_lines_from(today, company_ids),
            lambda lines: lines._create_invoices(journals),
            chunk_size,
            order=SQL("claimed.due_date, claimed.id"),
        )

    def _invoice_values(self, journal):
        self.ensure_one()
        letter = self.letter_id
        return {
            "move_type": "out_invoice",
            "partner_id": letter.partner_id.id,
            "company_id": letter.company_id.id,
            "currency_id": letter.currency_id.id,
            "journal_id": journal.id,
            "invoice_date": self.due_date,
            "invoice_origin": letter.name,
            "invoice_line_ids": [
                Command.create({"name": self.name, "quantity": 1.0, "price_unit": self.amount}),
            ],
        }

    def _create_invoices(self, journals):
        """One draft invoice per line, all made by a single ``create``, then a note on each letter."""
        lines = self.sudo()
        invoices = (
            self.env["account.move"]
            .sudo()
            .with_context(default_move_type="out_invoice")
            .create([line._invoice_values(journals[line.company_id.id]) for line in lines])
        )
        for line, invoice in zip(lines, invoices, strict=True):
            line._esign_write({"invoice_id": invoice.id, "state": "invoiced"})
        for letter, letter_lines in lines.grouped("letter_id").items():
            items = Markup("").join(
                Markup("<li>%s: %s</li>")
                % (
                    line.invoice_id._get_html_link(),
                    self.env._(
                        "%(label)s, due on %(date)s", label=line.name, date=format_date(self.env, line.due_date)
                    ),
                )
                for line in letter_lines
            )
            letter.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (self.env._("Draft invoices created from the billing plan:"), items)
            )
        return invoices
