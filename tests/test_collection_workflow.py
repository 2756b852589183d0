from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import EsignCase


@tagged("post_install", "-at_install")
class TestCollectionWorkflow(EsignCase):
    def test_ordered_signing_notifies_next_group_only_after_previous(self):
        collection = self.make_collection(
            signers=[(self.client_fr, 1), (self.client_be, 1), (self.signatory.partner_id, 2)]
        )
        collection.action_launch()
        first, second, firm = collection.signer_ids.sorted("id")
        self.assertEqual((first.state, second.state, firm.state), ("to_sign", "to_sign", "waiting"))
        first._action_sign()
        self.assertEqual(firm.state, "waiting", "the firm waits until the whole first group has signed")
        second._action_sign()
        self.assertEqual(firm.state, "to_sign")
        firm._action_sign()
        self.assertEqual(collection.state, "done")

    def test_launch_without_document_is_refused(self):
        collection = self.make_collection(documents=0)
        with self.assertRaises(UserError):
            collection.action_launch()
