from . import test_otp_across_codes, test_parapheur_attacks
