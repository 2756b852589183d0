"""The parapheur's own copy of the one-time code goes: its codes are now esign.otp rows, with the
signers' limits. Codes last minutes, so the columns are dropped without moving any value (a draft
batch asks for a new code)."""


def migrate(cr, version):
    cr.execute(
        """
        ALTER TABLE esign_parapheur_batch
            DROP COLUMN IF EXISTS code_digest,
            DROP COLUMN IF EXISTS code_sent_date,
            DROP COLUMN IF EXISTS code_expiry,
            DROP COLUMN IF EXISTS code_failures
        """
    )
