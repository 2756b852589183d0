"""Reload the record rules of security/esign_security.xml on existing databases.

Their "own or to sign" rules now leave out the collections a collaborator prepared for an
accountant who withdrew the delegation; the rules sit in a noupdate block, which an update
of the module does not reload.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools.convert import convert_file


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    convert_file(
        env,
        "engagement_letter_esign",
        "security/esign_security.xml",
        {},
        mode="init",
        noupdate=True,
        kind="data",
    )
