"""Encrypt the secrets an earlier version kept in clear, and take the seal out of the attachments.

- The gateway credentials, the generic HTTP API's URL, headers and body and the timestamp
  authority's URL and user were plain columns of res_company: each value is encrypted into its
  ``<name>_secret`` column and the plain column is dropped.
- The firm's seal (PKCS#12) was an attachment of res.company, listed by an ir.attachment search
  and served by /web/content: it is encrypted into the ``esign_seal_pkcs12_secret`` column, its public
  chain copied (18.0.1.4.0 then moves both to an esign.certificate row), and the attachment deleted
  (its file leaves the filestore at the next garbage collection).
  Leftover uploads of the settings wizard are deleted too.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.addons.engagement_letter_esign.models.res_company import ENCRYPTED_SETTINGS
from odoo.addons.engagement_letter_esign.services import pki
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)


def encrypt_plain_settings(env):
    cr = env.cr
    for name in ENCRYPTED_SETTINGS:
        if not column_exists(cr, "res_company", name):
            continue
        column = SQL.identifier(name)
        cr.execute(SQL("SELECT id, %s FROM res_company WHERE %s IS NOT NULL AND %s != ''", column, column, column))
        for company_id, value in cr.fetchall():
            company = env["res.company"].browse(company_id)
            company.write({f"{name}_secret": company._esign_encrypt(f"setting:{name}", value.encode())})
        env.flush_all()
        cr.execute(SQL("ALTER TABLE res_company DROP COLUMN %s", column))
        _logger.info("res_company.%s encrypted", name)


def _seal_chain_pem(company, password_token, data):
    """The public chain of an uploaded seal, read without checking its dates (it may have expired)."""
    try:
        password = company._esign_decrypt("seal", password_token).decode() if password_token else ""
        key, certificate, chain = pki.pkcs12.load_key_and_certificates(data, password.encode() or None)
    except (UserError, ValueError):
        _logger.warning("The seal certificate of company %s cannot be opened: its chain is not copied", company.id)
        return None
    credential = pki.Credential(key=key, certificate=certificate, chain=tuple(chain or ()))
    return "".join(pki.certificate_pem(cert) for cert in pki.seal_chain(credential))


def move_seal_attachments(env):
    """The seal's columns are written in SQL: 18.0.1.4.0 moves them to esign.certificate right after."""
    cr = env.cr
    attachments = env["ir.attachment"].search(
        [("res_model", "=", "res.company"), ("res_field", "=", "esign_seal_pkcs12")]
    )
    if attachments:
        for column in ("esign_seal_pkcs12_secret", "esign_seal_password_secret", "esign_seal_chain"):
            cr.execute(SQL("ALTER TABLE res_company ADD COLUMN IF NOT EXISTS %s text", SQL.identifier(column)))
    for attachment in attachments:
        company = env["res.company"].browse(attachment.res_id).exists()
        data = attachment.raw
        if not (company and data):
            continue
        cr.execute(
            "SELECT esign_seal_pkcs12_secret, esign_seal_password_secret FROM res_company WHERE id = %s",
            [company.id],
        )
        pkcs12_token, password_token = cr.fetchone()
        if not pkcs12_token:
            cr.execute(
                "UPDATE res_company SET esign_seal_pkcs12_secret = %s, esign_seal_chain = %s WHERE id = %s",
                [
                    company._esign_encrypt("seal_pkcs12", data),
                    _seal_chain_pem(company, password_token, data),
                    company.id,
                ],
            )
            _logger.info("Seal certificate of company %s encrypted", company.id)
    uploads = env["ir.attachment"].search(
        [("res_model", "=", "res.config.settings"), ("res_field", "=", "esign_seal_upload")]
    )
    (attachments | uploads).unlink()


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    encrypt_plain_settings(env)
    move_seal_attachments(env)
