"""The hash chain of the proof journal: each event's digest covers the previous one."""

import hashlib
import json

GENESIS_HASH = "0" * 64


def event_digest(payload, previous_hash):
    """SHA-256 over a canonical JSON of the event and the previous event's digest."""
    canonical = json.dumps(
        {"previous": previous_hash or GENESIS_HASH, "event": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def first_broken_link(events):
    """Return the index of the first event whose digest or link does not hold, else None.

    ``events`` is an ordered iterable of (payload, previous_hash, stored_hash).
    """
    expected_previous = GENESIS_HASH
    for index, (payload, previous_hash, stored_hash) in enumerate(events):
        if previous_hash != expected_previous or event_digest(payload, previous_hash) != stored_hash:
            return index
        expected_previous = stored_hash
    return None
