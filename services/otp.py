"""One-time codes: generation, keyed hashing, constant-time check and masked display."""

import hashlib
import hmac
import secrets

CODE_LENGTH = 6


def generate_code():
    """A uniformly random code of six digits."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def hash_code(secret, salt, code):
    """HMAC-SHA256 of the code, keyed by the database secret and salted per code."""
    return hmac.new(secret.encode(), f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def check_code(secret, salt, code, digest):
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != CODE_LENGTH or not digest:
        return False
    return hmac.compare_digest(hash_code(secret, salt, code), digest)


def mask_mobile(e164):
    """'+33612345655' -> '+33 6•• •• •• 55': enough for the signer to recognise their phone."""
    if not e164:
        return ""
    try:
        import phonenumbers

        number = phonenumbers.parse(e164)
        country = f"+{number.country_code}"
        national = str(number.national_number)
    except Exception:  # noqa: BLE001 - any unparsable number is masked the plain way
        country, national = "", e164.lstrip("+")
    if len(national) <= 3:
        return f"{country} {'•' * len(national)}".strip()
    hidden = national[0] + "•" * (len(national) - 3) + national[-2:]
    groups = [hidden[0:3]] + [hidden[i : i + 2] for i in range(3, len(hidden), 2)]
    return f"{country} {' '.join(groups)}".strip()
