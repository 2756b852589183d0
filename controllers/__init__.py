from . import certificate_authority, verify
