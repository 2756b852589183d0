"""Chunked scheduled actions: claim, process, commit, report progress."""

import threading


def process_in_chunks(env, remaining, claim, process):
    """Process what ``claim()`` locks, chunk by chunk, until nothing is left or can be claimed.

    Each chunk is flushed, reported to the scheduled action's progress and, outside tests,
    committed: a long run keeps what it did if it is stopped, and other workers see it at once.
    Returns how many records were processed.
    """
    auto_commit = not getattr(threading.current_thread(), "testing", False)
    done = 0
    while remaining:
        records = claim()
        if not records:
            break
        process(records)
        env.flush_all()
        done += len(records)
        remaining = max(remaining - len(records), 0)
        env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if auto_commit:
            env.cr.commit()  # pylint: disable=invalid-commit
    return done
