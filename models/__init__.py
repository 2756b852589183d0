from . import (
    esign_collection,
    esign_collection_delegation,
    esign_delegation,
    esign_document,
    esign_event,
    esign_parapheur_batch,
    esign_parapheur_batch_line,
    esign_signer,
    esign_signer_firm,
    res_company,
    res_config_settings,
    res_users,
)
