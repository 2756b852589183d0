"""One-time codes: drawn at random, kept only as a keyed digest, compared in constant time."""

import hashlib
import hmac
import secrets

CODE_DIGITS = 6


def new_code():
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(code, key, salt):
    """HMAC-SHA256 of the code, keyed by the database secret and salted by what it protects."""
    message = f"{salt}:{(code or '').strip()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def code_matches(code, digest, key, salt):
    return bool(digest) and hmac.compare_digest(code_digest(code, key, salt), digest)
