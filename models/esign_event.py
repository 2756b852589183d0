from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from ..services.evidence import GENESIS_HASH, event_digest, first_broken_link

EVENT_TYPES = [
    ("created", "Created"),
    ("document_added", "Document added"),
    ("signer_added", "Signer added"),
    ("launched", "Launched"),
    ("notified", "Notified"),
    ("viewed", "Viewed"),
    ("reminded", "Reminded"),
    ("reordered", "Signing order changed"),
    ("signed", "Signed"),
    ("refused", "Refused"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
    ("completed", "Completed"),
    ("purged", "Purged"),
    ("evidence_report", "Evidence report"),
    ("parapheur", "Signed through the parapheur"),
    ("otp_sent", "Code sent"),
    ("otp_send_failed", "Code not sent"),
    ("otp_refused", "Code refused (limit)"),
    ("otp_failed", "Wrong code"),
    ("otp_locked", "Code locked"),
    ("otp_expired", "Code expired"),
    ("otp_verified", "Code checked"),
    ("signer_blocked", "Signer blocked"),
    ("downloaded", "Downloaded"),
    ("certified", "Certified by the firm"),
    ("sealed", "Sealed"),
    ("archive_timestamp", "Archive timestamp renewed"),
    ("delegated", "Done by delegation"),
    ("contact_changed", "Signer's contact changed"),
    ("reassigned", "Preparer changed"),
]

# The fields a digest covers, per version of the digest. An event keeps the version it was hashed
# with, so a field added to the journal (a new version) never breaks the chains written before it.
# Version 2 seals the version itself: an event cannot be passed off as hashed under older rules.
HASHED_FIELDS_BY_VERSION = {
    1: (
        "collection_id",
        "sequence",
        "event_type",
        "timestamp",
        "actor_user_id",
        "actor_name",
        "signer_id",
        "document_id",
        "ip_address",
        "user_agent",
        "document_sha256",
        "description",
    ),
}
HASHED_FIELDS_BY_VERSION[2] = (*HASHED_FIELDS_BY_VERSION[1], "hash_version")
HASH_VERSION = max(HASHED_FIELDS_BY_VERSION)
HASHED_FIELDS = HASHED_FIELDS_BY_VERSION[HASH_VERSION]


class EsignEvent(models.Model):
    """Append-only proof journal: one row per step, chained by SHA-256 per collection."""

    _name = "esign.event"
    _description = "Proof journal event"
    _order = "collection_id, sequence"
    _rec_name = "event_type"
    _allow_sudo_commands = False
    _inherit = ["esign.workflow.guard"]

    collection_id = fields.Many2one("esign.collection", required=True, index=True, ondelete="restrict")
    company_id = fields.Many2one(related="collection_id.company_id", store=True, index=True, precompute=True)
    sequence = fields.Integer(required=True, readonly=True)
    event_type = fields.Selection(EVENT_TYPES, string="Event", required=True, readonly=True)
    timestamp = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    actor_user_id = fields.Many2one("res.users", string="Acting user", readonly=True)
    actor_name = fields.Char(string="Actor", readonly=True)
    signer_id = fields.Many2one("esign.signer", readonly=True, index="btree_not_null")
    document_id = fields.Many2one("esign.document", readonly=True)
    ip_address = fields.Char(string="IP address", readonly=True)
    user_agent = fields.Char(readonly=True)
    document_sha256 = fields.Char(string="Document SHA-256", readonly=True)
    description = fields.Char(readonly=True)
    previous_hash = fields.Char(readonly=True)
    hash = fields.Char(string="SHA-256", readonly=True)
    hash_version = fields.Integer(
        readonly=True, help="Which fields the digest covers (events written before version 2 are version 1)."
    )

    _sql_constraints = [
        (
            "collection_sequence_unique",
            "UNIQUE(collection_id, sequence)",
            "Two events of a collection cannot share a position in its journal.",
        ),
    ]

    @api.model
    def _request_context(self):
        """IP address and user agent of the HTTP request being served, if any."""
        if not request:
            return {}
        httprequest = request.httprequest
        return {
            "ip_address": httprequest.remote_addr,
            "user_agent": (httprequest.user_agent.string or "")[:512],
        }

    def _hash_payload(self, values):
        """The values an event's digest covers, under the version the event was hashed with."""
        payload = {}
        for name in HASHED_FIELDS_BY_VERSION[values.get("hash_version") or 1]:
            value = values.get(name)
            if isinstance(value, models.BaseModel):
                value = value.id
            if name == "timestamp":
                value = fields.Datetime.to_string(value) if value else False
            payload[name] = value or False
        return payload

    def init(self):  # pylint: disable=missing-return
        super().init()
        # The database itself refuses to change what an event says, or to delete one of a launched
        # collection: not even SQL run by the application (or a cascade) rewrites the journal.
        columns = ", ".join(("collection_id", "previous_hash", "hash", "create_date", "create_uid", *HASHED_FIELDS[1:]))
        # hash_version is the last of HASHED_FIELDS: the trigger covers it too.
        old_row = ", ".join(f"OLD.{name}" for name in columns.split(", "))
        new_row = ", ".join(f"NEW.{name}" for name in columns.split(", "))
        # Column names of this model only, no input: the query is built, not injected.
        self.env.cr.execute(  # pylint: disable=sql-injection
            f"""
            CREATE OR REPLACE FUNCTION esign_event_protect() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    IF ROW({old_row}) IS DISTINCT FROM ROW({new_row}) AND EXISTS (
                        SELECT 1 FROM esign_collection c
                         WHERE c.id = OLD.collection_id AND c.state NOT IN ('draft', 'ready')) THEN
                        RAISE EXCEPTION 'esign_event is append-only: event % cannot be modified', OLD.id;
                    END IF;
                    RETURN NEW;
                END IF;
                IF EXISTS (SELECT 1 FROM esign_collection c
                            WHERE c.id = OLD.collection_id AND c.state NOT IN ('draft', 'ready')) THEN
                    RAISE EXCEPTION 'esign_event is append-only: event % cannot be deleted', OLD.id;
                END IF;
                RETURN OLD;
            END;
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS esign_event_protect ON esign_event;
            CREATE TRIGGER esign_event_protect BEFORE UPDATE OR DELETE ON esign_event
                FOR EACH ROW EXECUTE FUNCTION esign_event_protect();
            """  # noqa: S608
        )

    @api.model_create_multi
    def create(self, vals_list):
        """Number and chain the new events, under a lock on their collections."""
        if not self._esign_in_workflow():
            raise AccessError(self.env._("Proof events are written by the signature workflow only."))
        collection_ids = sorted({vals["collection_id"] for vals in vals_list})
        self.env["esign.collection"].browse(collection_ids)._esign_lock(reread=False)
        self.env.cr.execute(
            """
            SELECT DISTINCT ON (collection_id) collection_id, sequence, hash
              FROM esign_event
             WHERE collection_id = ANY(%s)
          ORDER BY collection_id, sequence DESC
            """,
            [collection_ids],
        )
        heads = {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}
        context_values = self._request_context()
        now = fields.Datetime.now()
        user = self.env.user
        for vals in vals_list:
            for key, value in context_values.items():
                vals.setdefault(key, value)
            vals.setdefault("timestamp", now)
            if "actor_name" not in vals:
                vals["actor_name"] = user.name
                vals.setdefault("actor_user_id", user.id)
            sequence, previous = heads.get(vals["collection_id"], (0, GENESIS_HASH))
            vals["sequence"] = sequence + 1
            vals["previous_hash"] = previous
            vals["hash_version"] = HASH_VERSION
            vals["hash"] = event_digest(self._hash_payload(vals), previous)
            heads[vals["collection_id"]] = (vals["sequence"], vals["hash"])
        return super().create(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("The proof journal is append-only: an event cannot be modified."))

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        """Only a collection never launched goes with its journal (the collection's own unlink)."""
        if self._esign_in_workflow() and all(
            state in ("draft", "ready") for state in self.sudo().collection_id.mapped("state")
        ):
            return
        raise UserError(self.env._("The proof journal is append-only: an event cannot be deleted."))

    def _first_altered(self):
        """The first event of this ordered journal whose digest or link fails, else an empty set."""
        self.invalidate_recordset()
        rows = [
            (
                event._hash_payload(
                    {name: event[name] for name in HASHED_FIELDS_BY_VERSION[event.hash_version or 1]}
                    | {"hash_version": event.hash_version}
                ),
                event.previous_hash,
                event.hash,
            )
            for event in self
        ]
        index = first_broken_link(rows)
        return self[index] if index is not None else self.browse()
