from . import esign_collection_cancel
