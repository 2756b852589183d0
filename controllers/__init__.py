from . import certificate_authority, portal, signing, verify
