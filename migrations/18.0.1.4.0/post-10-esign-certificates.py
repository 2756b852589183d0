"""Certificates become records (18.0.1.4.0): the company's certificate columns become esign.certificate rows.

- The company CA (certificate and encrypted key) becomes its active ``authority`` row; each CA a
  renewal replaced (the newline-joined PEMs of ``esign_ca_previous_certificates``) an archived one,
  without key, as a renewal leaves it now. The CA's seal becomes the ``authority_seal`` row.
- The uploaded seal becomes the ``provider_seal`` row: its PKCS#12 file and password ciphertexts
  are moved as they are (keys are still derived per company and purpose) and its public chain
  with them; its certificate is read from the file, opened with its password, dates unchecked.
  A file no key opens any more (copied database) cannot give its certificate: it is dropped, as
  its password would have to be entered again anyway, and the company CA seals meanwhile.
- Each certificate the timestamp authority sent becomes a ``tsa`` row, the uploaded root the
  ``tsa_root`` row.

Then the columns are dropped. This runs before the other scripts of 18.0.1.4.0 (post-20-...): they
may sign or certify, which reads the certificates from their records.
"""

import logging

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from odoo import SUPERUSER_ID, api
from odoo.addons.engagement_letter_esign.services import pki
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)

OLD_COLUMNS = (
    "esign_ca_certificate",
    "esign_ca_key_secret",
    "esign_ca_previous_certificates",
    "esign_ca_seal_certificate",
    "esign_ca_seal_key_secret",
    "esign_seal_pkcs12_secret",
    "esign_seal_password_secret",
    "esign_seal_chain",
    "esign_seal_subject",
    "esign_seal_expiry",
    "esign_tsa_chain",
    "esign_tsa_root_certificate",
    "esign_tsa_root_subject",
)
# Shown values the records now compute from their certificates: moved by nothing, only dropped.
DERIVED_COLUMNS = ("esign_seal_subject", "esign_seal_expiry", "esign_tsa_root_subject")
READ_COLUMNS = tuple(column for column in OLD_COLUMNS if column not in DERIVED_COLUMNS)


def _certificates(pem):
    return x509.load_pem_x509_certificates(pem.encode()) if pem else []


def _row(company, kind, certificate, active=True, **values):
    return {
        "company_id": company.id,
        "kind": kind,
        "certificate_pem": pki.certificate_pem(certificate),
        "chain_pem": False,
        "key_secret": False,
        "pkcs12_secret": False,
        "password_secret": False,
        "active": active,
        **values,
    }


def _seal_certificate(company, pkcs12_token, password_token):
    """The certificate of the uploaded seal, read from its file; None when it cannot be opened."""
    try:
        data = company._esign_decrypt("seal_pkcs12", pkcs12_token)
        password = company._esign_decrypt("seal", password_token).decode() if password_token else ""
        _key, certificate, _chain = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except (UserError, ValueError):
        return None
    return certificate


def _company_rows(company, old):
    rows = []
    if old["esign_ca_certificate"]:
        rows.append(
            _row(
                company,
                "authority",
                pki.load_certificate_pem(old["esign_ca_certificate"]),
                key_secret=old["esign_ca_key_secret"] or False,
            )
        )
    rows += [
        _row(company, "authority", certificate, active=False)
        for certificate in _certificates(old["esign_ca_previous_certificates"])
    ]
    if old["esign_ca_seal_certificate"] and old["esign_ca_certificate"]:
        rows.append(
            _row(
                company,
                "authority_seal",
                pki.load_certificate_pem(old["esign_ca_seal_certificate"]),
                key_secret=old["esign_ca_seal_key_secret"] or False,
            )
        )
    if old["esign_seal_pkcs12_secret"]:
        certificate = _seal_certificate(company, old["esign_seal_pkcs12_secret"], old["esign_seal_password_secret"])
        if certificate is None:
            _logger.warning("The seal certificate of company %s cannot be opened: upload it again", company.id)
        else:
            rows.append(
                _row(
                    company,
                    "provider_seal",
                    certificate,
                    chain_pem=old["esign_seal_chain"] or False,
                    pkcs12_secret=old["esign_seal_pkcs12_secret"],
                    password_secret=old["esign_seal_password_secret"] or False,
                )
            )
    seen = set()
    for certificate in _certificates(old["esign_tsa_chain"]):
        der = pki.certificate_der(certificate)
        if der not in seen:
            seen.add(der)
            rows.append(_row(company, "tsa", certificate))
    if old["esign_tsa_root_certificate"]:
        rows.append(_row(company, "tsa_root", pki.load_certificate_pem(old["esign_tsa_root_certificate"])))
    return rows


def migrate_certificates(env):
    cr = env.cr
    present = [name for name in READ_COLUMNS if column_exists(cr, "res_company", name)]
    if present:
        cr.execute(SQL("SELECT id, %s FROM res_company", SQL(", ").join(SQL.identifier(name) for name in present)))
        for company_id, *values in cr.fetchall():
            old = dict.fromkeys(READ_COLUMNS) | dict(zip(present, values, strict=True))
            company = env["res.company"].browse(company_id)
            rows = _company_rows(company, old)
            if rows:
                env["esign.certificate"]._esign_create(rows)
                _logger.info("%s certificates of company %s moved to esign.certificate", len(rows), company_id)
        env.flush_all()
    for name in OLD_COLUMNS:
        cr.execute(SQL("ALTER TABLE res_company DROP COLUMN IF EXISTS %s", SQL.identifier(name)))


def migrate(cr, version):
    if not version:
        return
    migrate_certificates(api.Environment(cr, SUPERUSER_ID, {}))
