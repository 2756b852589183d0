from . import esign_collection_cancel, esign_parapheur_sign, esign_verification, esign_verification_line
