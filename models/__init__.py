from . import esign_collection, esign_document, esign_event, esign_otp, esign_signer, res_company, res_config_settings
