from odoo import api, fields, models

from .esign_verification import VERDICTS

COVERAGES = [
    ("entire_file", "The whole file"),
    ("entire_revision", "Its revision, later additions allowed"),
    ("partial", "Part of the file"),
]


# How the company CAs made before they were named in the firm's language call themselves.
LEGACY_AUTHORITY_SUFFIX = " - Electronic signature authority"

PROBLEM_CODES = ("invalid_structure", "not_checked", "shared_signature", "time_not_timestamped")


class EsignVerificationLine(models.TransientModel):
    _name = "esign.verification.line"
    _description = "Verified signature"
    _order = "revision"

    verification_id = fields.Many2one("esign.verification", required=True, ondelete="cascade")
    revision = fields.Integer()
    field_name = fields.Char(string="Signature field")
    kind = fields.Selection(
        [("approval", "Signature"), ("certification", "Certification"), ("timestamp", "Document timestamp")],
    )
    signer_name = fields.Char(string="Signed by")
    signer_email = fields.Char(string="E-mail")
    issuer_name = fields.Char(string="Issued by")
    certificate_sha256 = fields.Char(string="Certificate SHA-256")
    signing_time = fields.Datetime(string="Signing time (declared)")
    timestamp_time = fields.Datetime(string="Timestamp")
    timestamp_valid = fields.Boolean(string="Timestamp valid")
    intact = fields.Boolean()
    valid = fields.Boolean()
    trusted = fields.Boolean()
    coverage = fields.Selection(COVERAGES, string="Covers")
    changes_allowed = fields.Boolean(string="No forbidden change since")
    verdict = fields.Selection(VERDICTS)
    problem = fields.Char()

    @api.model
    def _problem_sentences(self, problems):
        """The sentences, in the user's language, of the problems a reader is told about."""
        sentences = {
            "invalid_structure": self.env._("Invalid structure: this signature cannot be read."),
            "not_checked": self.env._("This signature could not be checked."),
            "shared_signature": self.env._("Several signature fields point at this same signature."),
            "time_not_timestamped": self.env._("Its time is the one the signer declared: no timestamp proves it."),
        }
        return [sentences[problem] for problem in problems if problem in sentences]

    @api.model
    def _issuer_label(self, issuer_name):
        """The issuer as the reader says it: a company CA named in English before names were
        localized reads in the reader's language."""
        if issuer_name and issuer_name.endswith(LEGACY_AUTHORITY_SUFFIX):
            company = issuer_name[: -len(LEGACY_AUTHORITY_SUFFIX)]
            return self.env._("Electronic signature authority of %s", company)
        return issuer_name

    @api.model
    def _values_from_check(self, check):
        if not (check.intact and check.valid and check.changes_allowed):
            verdict = "invalid"
        elif not check.trusted:
            verdict = "warning"
        else:
            verdict = "valid"
        return {
            "revision": check.revision,
            "field_name": check.field_name,
            "kind": check.kind,
            "signer_name": check.signer_name,
            "signer_email": check.signer_email,
            "issuer_name": self._issuer_label(check.issuer_name),
            "certificate_sha256": check.certificate_sha256,
            "signing_time": check.signing_time or False,
            "timestamp_time": check.timestamp_time or False,
            "timestamp_valid": check.timestamp_valid,
            "intact": check.intact,
            "valid": check.valid,
            "trusted": check.trusted,
            "coverage": check.coverage,
            "changes_allowed": check.changes_allowed,
            "verdict": verdict,
            "problem": "; ".join(
                self._problem_sentences(check.problems)
                + [problem for problem in check.problems if problem not in PROBLEM_CODES]
            )[:250],
        }
