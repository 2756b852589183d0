from . import (
    esign_collection,
    esign_document,
    esign_event,
    esign_otp,
    esign_parapheur_batch,
    esign_parapheur_batch_line,
    esign_signer,
    res_company,
    res_config_settings,
)
