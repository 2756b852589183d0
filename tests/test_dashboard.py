from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, freeze_time, tagged

from .common import EsignCase, sign


@tagged("post_install", "-at_install")
class TestDashboard(EsignCase):
    def _tiles(self, user):
        return {
            tile["key"]: tile["count"] for tile in self.env["esign.collection"].with_user(user).get_dashboard_tiles()
        }

    def test_six_counters_follow_the_collections(self):
        now = fields.Datetime.now()
        self.make_collection().action_mark_ready()
        running = self.make_collection()
        running.action_launch()
        refused = self.make_collection()
        refused.action_launch()
        refused.signer_ids.sorted("signing_order")[0]._action_refuse("Non")
        expiring = self.make_collection()
        with freeze_time(now - timedelta(days=13)):
            expiring.action_launch()
        expired = self.make_collection()
        with freeze_time(now - timedelta(days=20)):
            expired.action_launch()
        self.env["esign.collection"]._cron_expire()
        cancelled = self.make_collection()
        with freeze_time(now - timedelta(days=25)):
            cancelled._action_cancel("Doublon")

        tiles = self._tiles(self.preparer)
        self.assertEqual(tiles["ready"], 1)
        self.assertEqual(tiles["stopped"], 2, "refused and cancelled")
        self.assertEqual(tiles["expiring_soon"], 1)
        self.assertEqual(tiles["expired"], 1)
        self.assertEqual(tiles["purge_soon"], 1, "cancelled 25 days ago, purged in 5 days")
        self.assertEqual(tiles["to_sign"], 0)

        sign(running.signer_ids.sorted("signing_order")[0])
        self.assertEqual(self._tiles(self.signatory)["to_sign"], 1, "now waiting for the firm's signature")

    def test_counter_opens_its_filtered_list(self):
        self.make_collection().action_mark_ready()
        action = self.env["esign.collection"].with_user(self.preparer).action_open_dashboard_tile("ready")
        self.assertEqual(action["res_model"], "esign.collection")
        found = self.env["esign.collection"].with_user(self.preparer).search(action["domain"])
        self.assertEqual(found.mapped("state"), ["ready"])


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase, EsignCase):
    def test_dashboard_tour(self):
        admin = self.env.ref("base.user_admin")
        self.make_collection(user=admin, subject="Lettre prête").action_mark_ready()
        self.make_collection(user=admin, subject="Brouillon à ne pas lister")
        self.start_tour(
            "/odoo/action-engagement_letter_esign.esign_dashboard_action", "esign_dashboard_tour", login="admin"
        )
