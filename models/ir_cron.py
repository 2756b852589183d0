import threading

from odoo import api, models


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _esign_process_in_chunks(self, remaining, claim, process):
        """Process what ``claim()`` locks, chunk by chunk, until nothing is left or can be claimed.

        Each chunk is flushed, reported to the running scheduled action's progress and, outside
        tests, committed: a long run keeps what it did if it is stopped, and other workers see it
        at once. When other workers hold what is left, the run says it is finished rather than let
        Odoo run it again at once. Returns how many records were processed.
        """
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        done = 0
        while remaining:
            records = claim()
            if not records:
                self._notify_progress(done=done, remaining=0)
                break
            process(records)
            self.env.flush_all()
            done += len(records)
            remaining = max(remaining - len(records), 0)
            self._notify_progress(done=done, remaining=remaining)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done
