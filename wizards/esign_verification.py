import base64
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services.pades_level import pades_level
from ..services.pdf_inspect import MAGIC_WINDOW, PDF_MAGIC, sha256_hex
from ..services.pdf_verify import VERIFIER_LIMITS, Limits, PdfUnreadable, TooManySignatures, verify_pdf

_logger = logging.getLogger(__name__)

VERDICTS = [("valid", "Valid"), ("warning", "Valid, not trusted"), ("invalid", "Invalid")]
VERDICT_COLORS = {"valid": "success", "warning": "warning", "invalid": "danger"}
# System parameters that tune what one check may read (defaults: services.pdf_verify.VERIFIER_LIMITS).
LIMIT_PARAMS = {
    "max_fields": "engagement_letter_esign.verify_max_signature_fields",
    "max_signatures": "engagement_letter_esign.verify_max_signatures",
    "seconds": "engagement_letter_esign.verify_time_budget_seconds",
}


class EsignVerification(models.TransientModel):
    """Check the signatures of any PDF: who signed, when, and whether it is intact and trusted."""

    _name = "esign.verification"
    _description = "Signature verification"

    pdf_file = fields.Binary(string="Signed PDF", required=True)
    pdf_filename = fields.Char(string="File name")
    state = fields.Selection([("upload", "Upload"), ("done", "Result")], default="upload", required=True)
    file_sha256 = fields.Char(string="File SHA-256", readonly=True)
    line_ids = fields.One2many("esign.verification.line", "verification_id", string="Signatures", readonly=True)
    signature_count = fields.Integer(compute="_compute_summary")
    verdict = fields.Selection(VERDICTS, compute="_compute_summary")
    summary = fields.Char(compute="_compute_summary")
    stopped = fields.Boolean(
        string="Check stopped", readonly=True, help="The time budget ran out before every signature was checked."
    )
    signatures_found = fields.Integer(readonly=True)
    known_document_ids = fields.Many2many(
        "esign.document",
        string="Known as",
        readonly=True,
        help="Documents of this database whose original or signed version is exactly this file.",
    )
    pades_level = fields.Char(
        string="PAdES level",
        readonly=True,
        help="The PAdES baseline level (ETSI EN 319 142-1) the file reaches by itself: B-B, B-T, B-LT or B-LTA.",
    )
    pades_missing = fields.Text(string="Missing for the next level", readonly=True)

    @api.depends("line_ids.verdict", "stopped", "signatures_found")
    def _compute_summary(self):
        for verification in self:
            verification.signature_count = len(verification.line_ids)
            verification.verdict, verification.summary = self._summarize(
                verification.line_ids.mapped("verdict"),
                stopped=verification.stopped,
                found=verification.signatures_found,
            )

    @api.model
    def _summarize(self, verdicts, stopped=False, found=0):
        """The overall verdict of a file from its signatures' verdicts, and the sentence that says it."""
        if stopped:
            seconds = f"{self._verifier_limits().seconds:g}"
            if not verdicts:
                return "invalid", self.env._(
                    "The check was stopped after %(seconds)s seconds: this file takes too long to check here. "
                    "No signature could be checked.",
                    seconds=seconds,
                )
            return "invalid", self.env._(
                "The check was stopped after %(seconds)s seconds: this file takes too long to check here. "
                "Only %(checked)s of its %(found)s signatures were checked; they are listed below.",
                seconds=seconds,
                checked=len(verdicts),
                found=max(found, len(verdicts)),
            )
        if not verdicts:
            return "invalid", self.env._("This PDF carries no electronic signature.")
        if "invalid" in verdicts:
            return "invalid", self.env._(
                "At least one signature is invalid: the document was altered after it was signed, "
                "or the signature is damaged."
            )
        if "warning" in verdicts:
            return "warning", self.env._(
                "The signatures are intact, but at least one was not issued by a certificate this firm trusts."
            )
        return "valid", self.env._("Every signature is intact and valid, and the document was not changed since.")

    @api.model
    def _max_upload_size(self):
        """The largest PDF any firm of this database accepts, in bytes."""
        [[largest]] = self.env["res.company"].sudo()._read_group([], aggregates=["esign_max_pdf_size_mb:max"])
        return (largest or 20) * 1024 * 1024

    @api.model
    def _check_public_upload(self, data, filename):
        """What the public page shows of an uploaded PDF; UserError for a file it cannot check."""
        if len(data or b"") > self._max_upload_size():
            raise UserError(self.env._("%s is too large to be checked here.", filename or self.env._("The file")))
        line_values, outcome = self._check_pdf_bytes(data, filename)
        verdict, summary = self._summarize(
            [values["verdict"] for values in line_values], stopped=outcome.stopped, found=outcome.found
        )
        digest = sha256_hex(data)
        Line = self.env["esign.verification.line"]
        labels = {name: dict(Line._fields[name]._description_selection(self.env)) for name in ("kind", "coverage")}
        verdict_labels = dict(Line._fields["verdict"]._description_selection(self.env))
        company = self.env.company
        for values, check in zip(line_values, outcome.checks, strict=True):
            values["notice"] = "; ".join(Line._problem_sentences(check.problems))
            values["kind_label"] = labels["kind"].get(values["kind"])
            values["coverage_label"] = labels["coverage"].get(values["coverage"])
            values["verdict_label"] = verdict_labels.get(values["verdict"])
            values["verdict_color"] = VERDICT_COLORS[values["verdict"]]
            for name in ("signing_time", "timestamp_time"):
                values[f"{name}_label"] = company._esign_format_datetime(values[name])
        return {
            **self._pades_level_values(data, line_values, outcome),
            "verdict": verdict,
            "verdict_color": VERDICT_COLORS[verdict],
            "summary": summary,
            "stopped": outcome.stopped,
            "sha256": digest,
            "signatures": line_values,
            "issuers": self._known_documents(digest).collection_id.company_id.mapped("name"),
        }

    @api.model
    def _trust_roots(self):
        """The certificates the firms of this database sign and seal with."""
        roots = []
        authorities_sudo = (
            self.env["esign.certificate"].sudo().with_context(active_test=False).search([("kind", "=", "authority")])
        )
        for company in authorities_sudo.company_id:
            roots.extend(company._esign_verification_roots())
        return roots

    @api.model
    def _verifier_limits(self):
        """How much of one uploaded file is read, and for how long: system parameters, else the defaults."""
        params = self.env["ir.config_parameter"].sudo()
        values = {}
        for attribute, key in LIMIT_PARAMS.items():
            default = getattr(VERIFIER_LIMITS, attribute)
            try:
                value = type(default)(params.get_param(key, default))
            except (TypeError, ValueError):
                value = default
            values[attribute] = value if value > 0 else default
        return Limits(**values)

    @api.model
    def _check_pdf_bytes(self, data, filename=None):
        """(values of the lines describing each signature of ``data``, the PdfVerification).

        UserError if it is no PDF, cannot be read, or has more signatures than one check reads.
        """
        name = filename or self.env._("The file")
        if not data or PDF_MAGIC not in data[:MAGIC_WINDOW]:
            raise UserError(self.env._("%s is not a PDF file.", name))
        try:
            outcome = verify_pdf(data, self._trust_roots(), self._verifier_limits())
        except TooManySignatures as exc:
            raise UserError(self.env._("%s has too many signatures to be checked here.", name)) from exc
        except PdfUnreadable as exc:
            raise UserError(self.env._("%s cannot be read as a PDF: it is damaged.", name)) from exc
        Line = self.env["esign.verification.line"]
        return [Line._values_from_check(check) for check in outcome.checks], outcome

    @api.model
    def _pades_level_values(self, data, line_values=None, outcome=None):
        """The PAdES level of ``data`` as ETSI names it, and what the next level lacks.

        Only for a file whose every signature was read and checked: a level says nothing of a file
        the verifier stopped on or found broken, and reading a hostile one again would escape the
        verifier's caps and time budget.
        """
        none = {"pades_level": False, "pades_missing": False}
        if outcome is not None and (
            outcome.stopped or not line_values or any(values["verdict"] == "invalid" for values in line_values)
        ):
            return none
        try:
            report = pades_level(data)
        # Whatever the file holds, the page answers: the level is left out, the checks still show.
        except Exception as error:  # noqa: BLE001  # pylint: disable=broad-exception-caught
            _logger.warning("PAdES level not computed: %s", type(error).__name__)
            return none
        missing = self.env["esign.document"]._esign_level_explanation(report)
        return {"pades_level": report.level or self.env._("none"), "pades_missing": "\n".join(missing) or False}

    @api.model
    def _known_documents(self, digest):
        return (
            self.env["esign.document"]
            .sudo()
            .search(["|", ("original_sha256", "=", digest), ("signed_sha256", "=", digest)])
        )

    def action_verify(self):
        self.ensure_one()
        data = base64.b64decode(self.pdf_file or b"")
        line_values, outcome = self._check_pdf_bytes(data, self.pdf_filename)
        digest = sha256_hex(data)
        known = self._known_documents(digest).with_env(self.env)
        self.write(
            {
                "state": "done",
                "file_sha256": digest,
                "stopped": outcome.stopped,
                "signatures_found": outcome.found,
                **self._pades_level_values(data, line_values, outcome),
                "line_ids": [fields.Command.clear()] + [fields.Command.create(values) for values in line_values],
                "known_document_ids": [fields.Command.set(known._filtered_access("read").ids)],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Signature verification"),
        }

    def action_verify_another(self):
        self.write(
            {
                "state": "upload",
                "pdf_file": False,
                "pdf_filename": False,
                "stopped": False,
                "signatures_found": 0,
                "line_ids": [fields.Command.clear()],
            }
        )
        return self.action_verify_reopen()

    def action_verify_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
