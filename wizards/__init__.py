from . import esign_collection_cancel, esign_sign_wizard
