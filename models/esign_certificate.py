import hashlib

from cryptography import x509

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..services import pki

CERTIFICATE_KINDS = [
    ("authority", "Signature authority of the firm"),
    ("authority_seal", "Seal issued by the firm's authority"),
    ("provider_seal", "Seal of a trust service provider"),
    ("tsa", "Timestamp authority certificate"),
    ("tsa_root", "Timestamp authority root"),
]
# The encrypted fields of each kind and the purpose their key is derived for (res.company._esign_encrypt).
SECRET_PURPOSES = {
    "authority": {"key_secret": "ca"},
    "authority_seal": {"key_secret": "ca_seal"},
    "provider_seal": {"pkcs12_secret": "seal_pkcs12", "password_secret": "seal"},
}
SECRET_FIELDS = ("key_secret", "pkcs12_secret", "password_secret")
# A company uses one certificate of these kinds at a time: a new one archives the previous one.
SINGLE_KINDS = ("authority", "authority_seal", "provider_seal", "tsa_root")
# What signed or sealed documents: deleting it would leave them without the certificate they chain to.
PROOF_KINDS = ("authority", "authority_seal", "provider_seal")


def fingerprint(der):
    """The SHA-256 of a certificate's DER, as the settings show it and Acrobat compares it."""
    return hashlib.sha256(der).hexdigest().upper()


class EsignCertificate(models.Model):
    """A certificate the company signs, seals or trusts timestamps with, and its key when it holds one.

    The signature workflow alone creates and archives these rows (the company's methods): nobody,
    administrators included, swaps the authority or the seal, or brings back a replaced one.
    """

    _name = "esign.certificate"
    _description = "Signature certificate"
    _inherit = ["esign.workflow.guard"]
    _order = "kind, active desc, valid_until desc, id desc"
    _rec_names_search = ["subject", "fingerprint"]
    _allow_sudo_commands = False
    _esign_workflow_fields = (
        "company_id",
        "kind",
        "certificate_pem",
        "chain_pem",
        "key_secret",
        "pkcs12_secret",
        "password_secret",
        "subject",
        "fingerprint",
        "valid_from",
        "valid_until",
        "active",
    )

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="restrict", readonly=True)
    kind = fields.Selection(CERTIFICATE_KINDS, required=True, readonly=True)
    certificate_pem = fields.Text(string="Certificate (PEM)", required=True, readonly=True)
    chain_pem = fields.Text(
        string="Trusted chain (PEM)",
        readonly=True,
        help="What verifiers of an uploaded seal trust: the certificates above it in its file, or the seal itself.",
    )
    # The authority's key and its seal's key (PKCS#8), or the uploaded PKCS#12 file and its password.
    key_secret = fields.Text(string="Private key (encrypted)", copy=False, groups="base.group_system")
    pkcs12_secret = fields.Text(string="Seal file (encrypted)", copy=False, groups="base.group_system")
    password_secret = fields.Char(string="Seal file password (encrypted)", copy=False, groups="base.group_system")
    subject = fields.Char(string="Certificate subject", compute="_compute_certificate_details", store=True)
    fingerprint = fields.Char(string="SHA-256 fingerprint", compute="_compute_certificate_details", store=True)
    valid_from = fields.Datetime(string="Valid from", compute="_compute_certificate_details", store=True)
    valid_until = fields.Datetime(string="Valid until", compute="_compute_certificate_details", store=True)
    active = fields.Boolean(default=True, readonly=True)

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS esign_certificate_single_active ON esign_certificate "
                "(company_id, kind) WHERE active AND kind IN %s",
                SINGLE_KINDS,
            )
        )

    @api.depends("certificate_pem")
    def _compute_certificate_details(self):
        for record in self:
            certificate = record._esign_x509()
            if certificate is None:
                record.update({"subject": False, "fingerprint": False, "valid_from": False, "valid_until": False})
                continue
            record.update(
                {
                    "subject": certificate.subject.rfc4514_string(),
                    "fingerprint": fingerprint(pki.certificate_der(certificate)),
                    "valid_from": certificate.not_valid_before_utc.replace(tzinfo=None),
                    "valid_until": certificate.not_valid_after_utc.replace(tzinfo=None),
                }
            )

    @api.depends("kind", "subject")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for record in self:
            record.display_name = f"{kinds.get(record.kind, '')}: {record.subject or ''}"

    # ------------------------------------------------------------------
    # Only the workflow creates, changes or deletes a certificate
    # ------------------------------------------------------------------

    def _esign_check_workflow(self):
        if not self._esign_in_workflow():
            raise AccessError(
                self.env._(
                    "Certificates are managed by the electronic signature itself: upload a seal, a timestamp "
                    "authority root or renew the authority in the settings."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._esign_check_workflow()
        # The workflow gives every value: no default_<field> key of the caller's context sets one
        # (a stored computed field such as the fingerprint would keep it). The whole context is
        # replaced on purpose: dropping keys is what this does.
        context = {key: value for key, value in self.env.context.items() if not key.startswith("default_")}
        records = self.with_context(context)  # pylint: disable=context-overridden
        return super(EsignCertificate, records).create(vals_list)

    def write(self, vals):
        self._esign_check_workflow()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_workflow(self):
        self._esign_check_workflow()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_proof(self):
        """An authority or a seal that signed documents is archived, never deleted: they chain to it."""
        if any(kind in PROOF_KINDS for kind in self.mapped("kind")):
            raise UserError(
                self.env._("An authority or a seal certificate is archived when it is replaced, never deleted.")
            )

    # ------------------------------------------------------------------
    # The workflow's own methods (called by res.company)
    # ------------------------------------------------------------------

    @api.model
    def _esign_add(self, company, kind, certificate, chain=(), **secrets):
        """Keep ``certificate`` (cryptography) for ``company``; a kind used one at a time archives the
        previous one. ``secrets`` are the clear key material (key, pkcs12, password), encrypted here.

        Every field is given: a default_* key of the caller's context sets nothing here.
        """
        company._esign_lock()
        if kind in SINGLE_KINDS:
            company._esign_certificates(kind)._esign_retire()
        purposes = SECRET_PURPOSES.get(kind, {})
        values = {
            "company_id": company.id,
            "kind": kind,
            "certificate_pem": pki.certificate_pem(certificate),
            "chain_pem": "".join(pki.certificate_pem(cert) for cert in chain) or False,
            "active": True,
        }
        for name in SECRET_FIELDS:
            clear = secrets.get(name.removesuffix("_secret"))
            values[name] = company._esign_encrypt(purposes[name], clear) if clear is not None else False
        return self._esign_create([values])

    def _esign_retire(self):
        """Archive these certificates and forget their keys: a replaced authority or seal signs no more."""
        if self:
            self._esign_write({"active": False, **dict.fromkeys(SECRET_FIELDS, False)})
            # Archived in the database before the next one is inserted (one active per kind).
            self.flush_recordset()

    def _esign_secret(self, name):
        """The clear bytes of the encrypted field ``name``; UserError when no known key opens it."""
        self.ensure_one()
        record_sudo = self.sudo()
        return record_sudo.company_id._esign_decrypt(SECRET_PURPOSES[record_sudo.kind][name], record_sudo[name])

    def _esign_x509(self):
        """The certificate (cryptography), or None for a record without one."""
        self.ensure_one()
        pem = self.sudo().certificate_pem
        return pki.load_certificate_pem(pem) if pem else None

    def _esign_chain(self):
        """The certificates of the trusted chain (cryptography)."""
        pems = "".join(self.sudo().mapped(lambda record: record.chain_pem or ""))
        return x509.load_pem_x509_certificates(pems.encode()) if pems else []

    def _esign_x509s(self):
        """The certificates of these records (cryptography), in their order."""
        return [record._esign_x509() for record in self]

    def _esign_rotate_secrets(self, old_secret=None):
        """Re-encrypt the secrets of these certificates with the current key; returns how many."""
        count = 0
        for record in self.sudo():
            values = {}
            for name, purpose in SECRET_PURPOSES.get(record.kind, {}).items():
                if record[name]:
                    clear = record.company_id._esign_decrypt(
                        purpose, record[name], extra_secrets=[old_secret] if old_secret else ()
                    )
                    values[name] = record.company_id._esign_encrypt(purpose, clear)
            if values:
                record._esign_write(values)
                count += len(values)
        return count
