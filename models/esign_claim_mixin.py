import threading

from odoo import api, models
from odoo.tools import SQL


class EsignClaimMixin(models.AbstractModel):
    """Rows that scheduled actions claim: several workers on several servers run the same action at
    once, each locks rows no other holds (``FOR NO KEY UPDATE SKIP LOCKED``), processes them in
    chunks, commits and reports progress per chunk. The queue is the table itself: no process keeps
    any state of its own.

    A model lists its due rows as an ``SQL`` "FROM ... WHERE ..." in which its own table is
    aliased ``claimed``.
    """

    _name = "esign.claim.mixin"
    _description = "Rows claimed by scheduled actions"

    @api.model
    def _esign_claim(self, due, limit, order=None):
        """Lock up to ``limit`` due rows that no other worker holds, and return them."""
        self.env.cr.execute(
            SQL(
                "SELECT claimed.id %s ORDER BY %s LIMIT %s FOR NO KEY UPDATE OF claimed SKIP LOCKED",
                due,
                order or SQL("claimed.id"),
                limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _esign_count_due(self, due):
        self.env.cr.execute(SQL("SELECT count(*) %s", due))
        return self.env.cr.fetchone()[0]

    @api.model
    def _esign_process_due(self, due, process, chunk_size, order=None):
        """Claim and ``process`` due rows chunk by chunk until none is left or can be claimed.

        Each chunk is flushed, reported to the running scheduled action's progress and, outside
        tests, committed: a long run keeps what it did if it is stopped, and other workers see it
        at once. When other workers hold what is left, the run says it is finished rather than let
        Odoo run it again at once. Returns how many rows were processed.
        """
        self.env.flush_all()
        cron = self.env["ir.cron"]
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        remaining = self._esign_count_due(due)
        done = 0
        while remaining:
            records = self._esign_claim(due, chunk_size, order)
            if not records:
                break
            process(records)
            self.env.flush_all()
            done += len(records)
            remaining = max(remaining - len(records), 0)
            cron._notify_progress(done=done, remaining=remaining)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if remaining or not done:
            # Nothing was due, or what is left is held by other workers: this run is finished.
            cron._notify_progress(done=done, remaining=0)
        return done
