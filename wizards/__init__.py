from . import esign_collection_cancel, esign_verification, esign_verification_line
