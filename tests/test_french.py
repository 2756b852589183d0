from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import EsignCase, load_french


@tagged("post_install", "-at_install")
class TestFrench(EsignCase):
    """The user interface speaks French first: messages, e-mails and labels come translated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)
        cls.preparer.lang = "fr_FR"
        cls.client_fr.lang = "fr_FR"

    def test_launch_problems_in_french(self):
        collection = self.make_collection(documents=0)
        with self.assertRaises(UserError) as raised:
            collection.with_context(lang="fr_FR").action_launch()
        self.assertIn("Ajoutez au moins un document PDF", str(raised.exception))
        self.assertIn("ne peut pas encore être lancée", str(raised.exception))

    def test_invitation_e_mail_in_the_signer_language(self):
        collection = self.make_collection()
        collection.action_launch()
        client = collection.signer_ids.sorted("signing_order")[0]
        mail = self.env["mail.mail"].search([("email_to", "=", client.email)])
        self.assertIn("vous invite à signer électroniquement", mail.body_html)
        self.assertIn("Lire et signer", mail.body_html)

    def test_states_and_dashboard_in_french(self):
        states = dict(
            self.env["esign.collection"]
            .with_context(lang="fr_FR")
            ._fields["state"]
            ._description_selection(self.env(context={"lang": "fr_FR"}))
        )
        self.assertEqual(states["ready"], "En attente de lancement")
        tiles = self.env["esign.collection"].with_user(self.preparer).with_context(lang="fr_FR").get_dashboard_tiles()
        self.assertIn("Mes collectes à l'arrêt", [tile["label"] for tile in tiles])
