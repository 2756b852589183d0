from . import (
    engagement_letter_send_wizard,
    esign_collection_cancel,
    esign_contact_import,
    esign_contact_import_line,
    esign_parapheur_sign,
    esign_sign_wizard,
    esign_verification,
    esign_verification_line,
)
