from . import portal, signing
