"""The seal step becomes a state of its own: a collection waiting for its seal was 'in_progress' with
``seal_due`` set; it is now 'sealing', so that every rule and record rule reads one state."""


def migrate(cr, version):
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'esign_collection' AND column_name = 'seal_due'
        """
    )
    if cr.fetchone():
        cr.execute("UPDATE esign_collection SET state = 'sealing' WHERE state = 'in_progress' AND seal_due")
        cr.execute("DROP INDEX IF EXISTS esign_collection_seal_due_idx")
        cr.execute("ALTER TABLE esign_collection DROP COLUMN seal_due")
