"""One signing path (18.0.1.4.0): signers sign certified documents only, the certification being
made at launch. Collections launched before that still have documents nobody signed and nobody
certified: the firm certifies them now, with their fields laid out as at their launch. Signatures
also leave their messages and the next signers' e-mails to a scheduled action: the new flags start
empty."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["esign.collection"].search([("state", "=", "in_progress")])._esign_certify_in_flight()
