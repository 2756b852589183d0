from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import EsignCase


@tagged("post_install", "-at_install")
class TestSignerContact(EsignCase):
    def test_mobiles_normalised_to_e164_from_the_contact_country(self):
        collection = self.make_collection(signers=[(self.client_fr, 1), (self.client_be, 2), (self.client_ch, 3)])
        mobiles = collection.signer_ids.sorted("signing_order").mapped("mobile")
        self.assertEqual(mobiles, ["+33612345678", "+32470123456", "+41791234567"])

    def test_company_country_used_when_contact_has_none(self):
        partner = self.env["res.partner"].create({"name": "Jean Sans Pays", "email": "jean@example.com"})
        collection = self.make_collection(signers=[(partner, 1)])
        collection.signer_ids.mobile = "07 81 23 45 67"
        self.assertEqual(collection.signer_ids.mobile, "+33781234567")

    def test_invalid_mobile_refused_with_clear_message(self):
        collection = self.make_collection(signers=[(self.client_fr, 1)])
        with self.assertRaisesRegex(ValidationError, "“12345” of Sophie Martin is not valid"):
            collection.signer_ids.mobile = "12345"
        self.assertEqual(collection.signer_ids.mobile, "+33612345678")

    def test_landline_refused_as_mobile(self):
        collection = self.make_collection(signers=[(self.client_fr, 1)])
        with self.assertRaisesRegex(ValidationError, "not a mobile number"):
            collection.signer_ids.mobile = "01 42 00 00 00"

    def test_invalid_partner_mobile_refused_at_creation(self):
        partner = self.env["res.partner"].create(
            {
                "name": "Numéro Faux",
                "email": "faux@example.com",
                "mobile": "0000",
                "country_id": self.env.ref("base.fr").id,
            }
        )
        with self.assertRaisesRegex(ValidationError, "is not valid"):
            self.make_collection(signers=[(partner, 1)])

    def test_access_token_stored_hashed_and_checked(self):
        collection = self.make_collection(signers=[(self.client_fr, 1)])
        signer = collection.signer_ids
        first = signer._issue_access_token()
        second = signer._issue_access_token()
        stored = signer.sudo().access_token_hashes
        self.assertNotIn(first, stored, "the token itself is never stored")
        self.assertTrue(signer._check_access_token(first), "a reminder does not break the first link")
        self.assertTrue(signer._check_access_token(second))
        self.assertFalse(signer._check_access_token(first[:-1] + ("A" if first[-1] != "A" else "B")))
        self.assertFalse(signer._check_access_token(""))
        other = self.make_collection(signers=[(self.client_fr, 1)]).signer_ids
        self.assertFalse(other._check_access_token(first), "a token is useless for another signer")
        self.assertGreaterEqual(len(first), 43, "at least 256 random bits")
