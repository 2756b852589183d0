from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import EsignCase, sign


@tagged("post_install", "-at_install")
class TestDelegation(EsignCase):
    """Collaborators prepare, launch and see collections for a chartered accountant, never sign for them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls.signatory
        cls.collaborator = new_test_user(
            cls.env,
            login="esign_collaborator",
            name="Colette Collaboratrice",
            groups="base.group_user,engagement_letter_esign.group_esign_user",
        )
        cls.delegation = (
            cls.env["esign.delegation"]
            .with_user(cls.accountant)
            .create({"collaborator_id": cls.collaborator.id, "can_prepare": True, "can_launch": True, "can_see": True})
        )

    def _prepare(self, **values):
        return self.make_collection(user=self.collaborator, on_behalf_of_id=self.accountant.id, **values)

    def _visible(self, collection, user=None):
        return collection in self.env["esign.collection"].with_user(user or self.collaborator).search([])

    def test_accountant_grants_and_withdraws(self):
        self.assertEqual(self.delegation.accountant_id, self.accountant, "the accountant gives it by default")
        self.assertTrue(self.delegation.is_effective)
        with self.assertRaises(AccessError):
            self.env["esign.delegation"].with_user(self.collaborator).create(
                {"accountant_id": self.accountant.id, "collaborator_id": self.preparer.id, "can_see": True}
            )
        with self.assertRaises(AccessError):
            self.delegation.with_user(self.collaborator).write({"can_see": False})
        self.assertIn(self.delegation, self.env["esign.delegation"].with_user(self.collaborator).search([]))
        self.delegation.with_user(self.accountant).action_withdraw()
        self.assertFalse(self.delegation.is_effective)
        with self.assertRaisesRegex(UserError, "right to prepare"):
            self._prepare()
        self.delegation.with_user(self.manager).action_grant()
        self.assertTrue(self._prepare().on_behalf_of_id)
        with self.assertRaisesRegex(ValidationError, "not a signatory"):
            self.env["esign.delegation"].create(
                {"accountant_id": self.preparer.id, "collaborator_id": self.collaborator.id, "can_see": True}
            )

    def test_prepare_right(self):
        collection = self._prepare()
        events = collection.event_ids.filtered(lambda e: e.event_type == "delegated")
        self.assertEqual(events.actor_user_id, self.collaborator)
        self.assertEqual(events.description, "Prepared by Colette Collaboratrice on behalf of Sylvie Signataire")
        self.assertIn("on behalf of Sylvie Signataire", collection.message_ids[0].body)
        self.assertTrue(self._visible(collection, self.accountant), "the accountant sees what was prepared for them")
        self.delegation.can_prepare = False
        with self.assertRaisesRegex(UserError, "right to prepare collections on their behalf"):
            self._prepare()
        with self.assertRaisesRegex(UserError, "right to prepare"):
            self.make_collection(user=self.collaborator).write({"on_behalf_of_id": self.accountant.id})
        other = self.make_collection(user=self.preparer, on_behalf_of_id=False)
        other.with_user(self.manager).on_behalf_of_id = self.accountant
        with self.assertRaises(AccessError):
            other.with_user(self.collaborator).write({"subject": "Modifiée"})
        self.delegation.can_prepare = True
        with self.assertRaises(AccessError, msg="a collaborator writes only what they prepared"):
            other.with_user(self.collaborator).write({"subject": "Modifiée"})
        mine = self._prepare()
        mine.with_user(self.collaborator).write({"subject": "Modifiée"})
        self.assertEqual(mine.subject, "Modifiée")
        mine.with_user(self.collaborator).action_mark_ready()
        with self.assertRaises(AccessError, msg="and only while it is a draft"):
            mine.with_user(self.collaborator).write({"subject": "Encore"})

    def test_launch_right(self):
        collection = self._prepare()
        self.delegation.can_launch = False
        with self.assertRaisesRegex(UserError, "right to launch"):
            collection.with_user(self.collaborator).action_launch()
        self.assertEqual(collection.state, "draft")
        self.delegation.can_launch = True
        collection.with_user(self.collaborator).action_launch()
        self.assertEqual(collection.state, "in_progress")
        launched = collection.event_ids.filtered(lambda e: e.event_type == "delegated")[-1]
        self.assertEqual(launched.description, "Launched by Colette Collaboratrice on behalf of Sylvie Signataire")
        prepared_by_other = self.make_collection(user=self.preparer)
        prepared_by_other.with_user(self.manager).on_behalf_of_id = self.accountant
        prepared_by_other.with_user(self.collaborator).action_launch()
        self.assertEqual(prepared_by_other.state, "in_progress", "launch for the accountant whoever prepared it")
        self.accountant_own = self.make_collection(user=self.accountant, on_behalf_of_id=self.accountant.id)
        self.accountant_own.with_user(self.accountant).action_launch()
        self.assertFalse(self.accountant_own.event_ids.filtered(lambda e: e.event_type == "delegated"))

    def test_see_right(self):
        theirs = self.make_collection(user=self.manager, on_behalf_of_id=self.accountant.id)
        unrelated = self.make_collection(user=self.preparer)
        self.assertTrue(self._visible(theirs))
        self.assertFalse(self._visible(unrelated))
        theirs.with_user(self.collaborator).signer_ids.read(["email"])
        theirs.with_user(self.collaborator).event_ids.read(["hash"])
        theirs.action_launch()
        self.assertTrue(self._visible(theirs), "launched collections too")
        with self.assertRaises(AccessError):
            theirs.with_user(self.collaborator).write({"subject": "Non"})
        self.delegation.can_see = False
        self.assertFalse(self._visible(theirs))
        with self.assertRaises(AccessError):
            theirs.with_user(self.collaborator).read(["subject"])

    def test_withdrawn_delegation_hides_what_the_collaborator_prepared(self):
        collection = self._prepare()
        collection.with_user(self.collaborator).action_launch()
        as_collaborator = self.env(user=self.collaborator)
        for model, records in (
            ("esign.collection", collection),
            ("esign.document", collection.document_ids),
            ("esign.signer", collection.signer_ids),
            ("esign.event", collection.event_ids),
        ):
            self.assertTrue(as_collaborator[model].search([("id", "in", records.ids)]), model)
        self.delegation.with_user(self.accountant).action_withdraw()
        for model, records in (
            ("esign.collection", collection),
            ("esign.document", collection.document_ids),
            ("esign.signer", collection.signer_ids),
            ("esign.event", collection.event_ids),
        ):
            with self.subTest(model=model):
                self.assertFalse(as_collaborator[model].search([("id", "in", records.ids)]), "prepared, yet hidden")
                with self.assertRaises(AccessError):
                    records.with_env(as_collaborator).read(["id"])
        own = self.make_collection(user=self.collaborator)
        self.assertTrue(self._visible(own), "their own collections stay theirs")
        self.assertTrue(self._visible(collection, user=self.accountant))

    def test_expired_delegation_stops_working(self):
        theirs = self.make_collection(user=self.manager, on_behalf_of_id=self.accountant.id)
        self.delegation.date_end = date(2026, 6, 30)
        with freeze_time("2026-06-30 12:00:00"):
            self.assertTrue(self.delegation.is_effective)
            self.assertTrue(self._visible(theirs), "the end date is included")
            self._prepare()
        with freeze_time("2026-07-01 08:00:00"):
            self.delegation.invalidate_recordset()
            self.assertFalse(self.delegation.is_effective)
            self.assertFalse(self._visible(theirs))
            with self.assertRaisesRegex(UserError, "right to prepare"):
                self._prepare()
            self.assertEqual(self.env["esign.delegation"].search([("is_effective", "=", False)]), self.delegation)

    def test_collaborator_cannot_sign(self):
        collection = self._prepare()
        collection.with_user(self.collaborator).action_launch()
        client, firm = collection.signer_ids.sorted("signing_order")
        sign(client.sudo())
        with self.assertRaisesRegex(UserError, "never sign"):
            sign(firm.with_user(self.collaborator))
        self.assertEqual(firm.state, "to_sign")
        self.assertIn(
            firm,
            self.env["esign.signer"]
            .with_user(self.accountant)
            .search([("user_id", "=", self.accountant.id), ("state", "=", "to_sign")]),
        )
        self.assertEqual(firm.prepared_by_id, self.collaborator, "the parapheur shows who prepared it")
        sign(firm.with_user(self.accountant))
        self.env["esign.collection"]._cron_seal()
        self.assertEqual(collection.state, "done")

    def test_firm_signer_must_be_a_signatory(self):
        collection = self.make_collection(signers=[(self.client_fr, 1)])
        collection.signer_ids = [
            Command.create({"partner_id": self.collaborator.partner_id.id, "signing_order": 2, "role": "firm"})
        ]
        self.collaborator.partner_id.mobile = "+33 6 55 44 33 22"
        with self.assertRaisesRegex(UserError, "not a signatory of the firm"):
            collection.action_launch()
