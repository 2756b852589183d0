import itertools

import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models.esign_event import HASH_VERSION, HASHED_FIELDS, HASHED_FIELDS_BY_VERSION
from ..services.evidence import GENESIS_HASH, event_digest
from .common import EsignCase, sign


@tagged("post_install", "-at_install")
class TestProofJournal(EsignCase):
    def _signed_collection(self):
        collection = self.make_collection()
        collection.action_launch()
        sign(collection.signer_ids.sorted("signing_order")[0])
        return collection

    def _tamper(self, query, params):
        """Alter the journal as someone who owns the database would: past its trigger first."""
        self.env.cr.execute("ALTER TABLE esign_event DISABLE TRIGGER esign_event_protect")
        self.env.cr.execute(query, params)
        self.env.cr.execute("ALTER TABLE esign_event ENABLE TRIGGER esign_event_protect")

    def test_database_refuses_to_rewrite_or_delete_an_event(self):
        collection = self._signed_collection()
        signed = collection.event_ids.filtered(lambda e: e.event_type == "signed")
        for query in (
            "UPDATE esign_event SET description = 'falsifié' WHERE id = %s",
            "DELETE FROM esign_event WHERE id = %s",
        ):
            with (
                self.subTest(query=query),
                self.assertRaises(psycopg2.errors.RaiseException),
                self.env.cr.savepoint(),
            ):
                self.env.cr.execute(query, [signed.id])
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation), self.env.cr.savepoint():
            self.env.cr.execute("DELETE FROM esign_collection WHERE id = %s", [collection.id])
        self.assertFalse(collection._verify_event_chain(), "the journal is as it was")

    def test_every_step_is_logged_and_chained(self):
        collection = self._signed_collection()
        events = collection.event_ids.sorted("sequence")
        self.assertEqual(
            events.mapped("event_type")[:6],
            ["created", "document_added", "certified", "launched", "notified", "signed"],
        )
        self.assertEqual(events.mapped("sequence"), list(range(1, len(events) + 1)))
        self.assertEqual(events[0].previous_hash, GENESIS_HASH)
        for previous, event in itertools.pairwise(events):
            self.assertEqual(event.previous_hash, previous.hash)
        signed = events.filtered(lambda e: e.event_type == "signed")
        self.assertEqual(signed.document_sha256, collection.document_ids.signed_sha256, "the revision signed")
        self.assertEqual(signed.actor_name, "Paul Préparateur")
        self.assertFalse(collection._verify_event_chain(), "an untouched journal verifies")

    def test_nobody_can_change_or_delete_an_event_through_the_orm(self):
        collection = self._signed_collection()
        event = collection.event_ids[0]
        for env in (self.env(user=self.preparer), self.env(user=self.manager), self.env(su=True)):
            with self.subTest(user=env.user.login), self.assertRaises(UserError):
                event.with_env(env).write({"description": "falsifié"})
            with self.subTest(user=env.user.login), self.assertRaises(UserError):
                event.with_env(env).unlink()
        with self.assertRaises(AccessError):
            self.env["esign.event"].with_user(self.preparer).create(
                {"collection_id": collection.id, "event_type": "signed"}
            )

    def test_verification_names_the_event_altered_with_sql(self):
        collection = self._signed_collection()
        signed = collection.event_ids.filtered(lambda e: e.event_type == "signed")
        self._tamper("UPDATE esign_event SET ip_address = '6.6.6.6' WHERE id = %s", [signed.id])
        self.assertEqual(collection._verify_event_chain(), signed)
        result = collection.action_verify_event_chain()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn(f"#{signed.sequence}", result["params"]["message"])

    def test_verification_catches_a_deleted_event(self):
        collection = self._signed_collection()
        launched = collection.event_ids.filtered(lambda e: e.event_type == "launched")
        following = collection.event_ids.filtered(lambda e: e.sequence == launched.sequence + 1)
        self._tamper("DELETE FROM esign_event WHERE id = %s", [launched.id])
        self.assertEqual(collection._verify_event_chain(), following)

    def test_verification_catches_a_recomputed_hash(self):
        """Rewriting an event and its own hash still breaks the link to the next event."""
        collection = self._signed_collection()
        events = collection.event_ids.sorted("sequence")
        forged = events[2]
        payload = forged._hash_payload({name: forged[name] for name in HASHED_FIELDS})
        payload["description"] = "falsifié"
        self._tamper(
            "UPDATE esign_event SET description = %s, hash = %s WHERE id = %s",
            ["falsifié", event_digest(payload, forged.previous_hash), forged.id],
        )
        self.assertEqual(collection._verify_event_chain(), events[3])

    def test_action_reports_intact_chain(self):
        collection = self._signed_collection()
        result = collection.action_verify_event_chain()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn(collection.event_ids.sorted("sequence")[-1].hash, result["params"]["message"])

    def _rehash_as_version_1(self, events):
        """Rewrite a journal as it was written before the digest had versions (no hash_version)."""
        previous = GENESIS_HASH
        for event in events.sorted("sequence"):
            payload = event._hash_payload({name: event[name] for name in HASHED_FIELDS_BY_VERSION[1]})
            digest = event_digest(payload, previous)
            self._tamper(
                "UPDATE esign_event SET hash_version = 1, previous_hash = %s, hash = %s WHERE id = %s",
                [previous, digest, event.id],
            )
            previous = digest
        events.invalidate_recordset()

    def test_journals_written_before_versioned_digests_still_verify(self):
        """An event keeps the version it was hashed with: new fields never break older chains."""
        collection = self._signed_collection()
        self._rehash_as_version_1(collection.event_ids)
        self.assertFalse(collection._verify_event_chain(), "a version 1 journal verifies")
        collection.action_remind()
        latest = collection.event_ids.sorted("sequence")[-1]
        self.assertEqual(latest.hash_version, HASH_VERSION, "new events use the current version")
        self.assertGreater(HASH_VERSION, 1)
        self.assertFalse(collection._verify_event_chain(), "versions 1 and 2 chain together")

    def test_an_event_cannot_be_passed_off_as_an_older_version(self):
        collection = self._signed_collection()
        events = collection.event_ids.sorted("sequence")
        self.assertEqual(set(events.mapped("hash_version")), {HASH_VERSION})
        self._tamper("UPDATE esign_event SET hash_version = 1 WHERE id = %s", [events[2].id])
        events.invalidate_recordset()
        self.assertEqual(collection._verify_event_chain(), events[2], "the version is under the digest")
