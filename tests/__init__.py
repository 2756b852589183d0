from . import test_secrets
