"""Events hashed before the journal's digest had versions are version 1: their chains still verify."""


def migrate(cr, version):
    cr.execute("ALTER TABLE esign_event ADD COLUMN IF NOT EXISTS hash_version integer")
    cr.execute("UPDATE esign_event SET hash_version = 1 WHERE hash_version IS NULL")
