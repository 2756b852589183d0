import importlib.util
import os

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import EsignCase


@tagged("post_install", "-at_install")
class TestSecurity(EsignCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colleague = new_test_user(
            cls.env,
            login="esign_colleague",
            name="Claire Collègue",
            groups="base.group_user,engagement_letter_esign.group_esign_user",
        )
        cls.other_company = cls.env["res.company"].create(
            {"name": "Cabinet Voisin", "country_id": cls.env.ref("base.be").id}
        )
        cls.other_manager = new_test_user(
            cls.env,
            login="esign_other_manager",
            name="Oscar Autre",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
            groups="base.group_user,engagement_letter_esign.group_esign_manager",
        )
        cls.internal_no_esign = new_test_user(cls.env, login="no_esign", groups="base.group_user")

    def test_user_sees_own_collections_only(self):
        mine = self.make_collection(user=self.preparer)
        theirs = self.make_collection(user=self.colleague)
        visible = self.env["esign.collection"].with_user(self.preparer).search([])
        self.assertIn(mine, visible)
        self.assertNotIn(theirs, visible)
        with self.assertRaises(AccessError):
            theirs.with_user(self.preparer).read(["subject"])
        with self.assertRaises(AccessError):
            theirs.signer_ids.with_user(self.preparer).read(["mobile"])
        with self.assertRaises(AccessError):
            theirs.document_ids.with_user(self.preparer).read(["original_pdf"])

    def test_signatory_sees_what_they_must_sign(self):
        collection = self.make_collection(user=self.colleague)
        visible = self.env["esign.collection"].with_user(self.signatory).search([])
        self.assertIn(collection, visible)
        unrelated = self.make_collection(user=self.colleague, signers=[(self.client_fr, 1)])
        self.assertNotIn(unrelated, self.env["esign.collection"].with_user(self.signatory).search([]))

    def test_manager_sees_all_of_their_companies_only(self):
        mine = self.make_collection(user=self.preparer)
        self.assertIn(mine, self.env["esign.collection"].with_user(self.manager).search([]))
        self.assertNotIn(mine, self.env["esign.collection"].with_user(self.other_manager).search([]))
        with self.assertRaises(AccessError):
            mine.with_user(self.other_manager).read(["subject"])
        with self.assertRaises(AccessError):
            mine.event_ids.with_user(self.other_manager).read(["hash"])
        neighbour = self.make_collection(user=self.other_manager, company_id=self.other_company.id)
        self.assertEqual(neighbour.company_id, self.other_company)
        self.assertNotIn(neighbour, self.env["esign.collection"].with_user(self.manager).search([]))

    def test_internal_user_without_group_has_no_access(self):
        with self.assertRaises(AccessError):
            self.env["esign.collection"].with_user(self.internal_no_esign).search([])
        with self.assertRaises(AccessError):
            self.env["esign.event"].with_user(self.internal_no_esign).search([])

    def test_access_token_hashes_hidden_from_users(self):
        collection = self.make_collection()
        with self.assertRaises(AccessError):
            collection.signer_ids.with_user(self.manager).read(["access_token_hashes"])

    def test_settings_reserved_to_managers(self):
        menu = self.env.ref("engagement_letter_esign.esign_configuration_menu")
        self.assertNotIn(
            menu,
            self.env["ir.ui.menu"].with_user(self.preparer)._visible_menu_ids()
            and self.env["ir.ui.menu"].with_user(self.preparer).search([("id", "=", menu.id)]),
        )
        self.assertTrue(self.env["ir.ui.menu"].with_user(self.manager).search([("id", "=", menu.id)]))


@tagged("post_install", "-at_install")
class TestRulesMigration(EsignCase):
    def test_update_reloads_the_rules_kept_from_updates(self):
        """The 18.0.1.1.0 migration brings the new "own or to sign" rules to databases made before."""
        path = os.path.join(os.path.dirname(__file__), "..", "migrations", "18.0.1.1.0", "post-migration.py")
        spec = importlib.util.spec_from_file_location("esign_migration_18_0_1_1_0", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        rule = self.env.ref("engagement_letter_esign.esign_signer_rule_user")
        current = rule.domain_force
        rule.domain_force = "[('collection_id.user_id', '=', user.id)]"
        migration.migrate(self.env.cr, "18.0.1.0.0")
        rule.invalidate_recordset()
        self.assertEqual(rule.domain_force, current)
        self.assertIn("on_behalf_of_id", rule.domain_force)
