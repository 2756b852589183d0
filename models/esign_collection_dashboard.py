import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .esign_collection import ENDED_STATES

_logger = logging.getLogger(__name__)


class EsignCollection(models.Model):
    """The dashboard's counters: the six of the platform firms know, each opening its list."""

    _inherit = "esign.collection"

    @api.model
    def _dashboard_domains(self):
        company = self.env.company
        now = fields.Datetime.now()
        mine = [("user_id", "=", self.env.uid)]
        return {
            "to_sign": [
                ("state", "=", "in_progress"),
                ("signer_ids", "any", [("partner_id", "=", self.env.user.partner_id.id), ("state", "=", "to_sign")]),
            ],
            "stopped": [*mine, ("state", "in", ("refused", "cancelled"))],
            "expiring_soon": [
                *mine,
                ("state", "=", "in_progress"),
                ("deadline", "<=", now + timedelta(days=company.esign_expiring_soon_days)),
            ],
            "expired": [*mine, ("state", "=", "expired")],
            "ready": [("state", "=", "ready")],
            "purge_soon": [
                ("state", "in", ENDED_STATES),
                ("purge_date", "<=", now + timedelta(days=company.esign_purge_soon_days)),
            ],
        }

    @api.model
    def _dashboard_labels(self):
        return {
            "to_sign": self.env._("Waiting for my signature"),
            "stopped": self.env._("My stopped collections"),
            "expiring_soon": self.env._("My collections expiring soon"),
            "expired": self.env._("My expired collections"),
            "ready": self.env._("Waiting for launch"),
            "purge_soon": self.env._("Collections purged soon"),
        }

    @api.model
    def get_dashboard_tiles(self):
        """The six counters of the dashboard, for the current user."""
        labels = self._dashboard_labels()
        return [
            {"key": key, "label": labels[key], "count": self.search_count(domain)}
            for key, domain in self._dashboard_domains().items()
        ]

    @api.model
    def action_open_dashboard_tile(self, key):
        domains = self._dashboard_domains()
        if key not in domains:
            raise UserError(self.env._("Unknown dashboard counter."))
        action = self.env["ir.actions.act_window"]._for_xml_id("engagement_letter_esign.esign_collection_action")
        label = self._dashboard_labels()[key]
        action.update({"name": label, "display_name": label, "domain": domains[key], "context": {}})
        return action
