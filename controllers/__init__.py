from . import portal, signing, verify
