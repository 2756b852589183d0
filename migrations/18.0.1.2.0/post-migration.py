"""Reload the record rules kept from updates (noupdate): co-signers now read what they must sign and
write nothing, collaborators write only the drafts they prepared."""

from odoo import SUPERUSER_ID, api
from odoo.tools.convert import convert_file

RULE_FILES = ("security/esign_security.xml", "security/esign_delegation_security.xml")


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for path in RULE_FILES:
        convert_file(env, "engagement_letter_esign", path, {}, mode="init", noupdate=True, kind="data")
