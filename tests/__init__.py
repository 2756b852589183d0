from . import test_verifier_hostile
