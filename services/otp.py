"""One-time codes: drawn at random, kept only as a keyed digest, compared in constant time."""

import hashlib
import hmac
import secrets

import phonenumbers

CODE_DIGITS = 6


def new_code():
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(code, key, salt):
    """HMAC-SHA256 of the code, keyed by the database secret and salted by what it protects.

    Only its digits count: "123 456" as typed on a phone is "123456".
    """
    digits = "".join(char for char in (code or "") if char.isdigit())
    message = f"{salt}:{digits}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def code_matches(code, digest, key, salt):
    return bool(digest) and hmac.compare_digest(code_digest(code, key, salt), digest)


def mask_mobile(number):
    """ "+33 6•• •• •• 78" from "+33612345678": enough for the signer to recognise it, no more."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "•" * max(len(number) - 2, 0) + number[-2:]
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    prefix, _space, rest = international.partition(" ")
    digit_count = sum(char.isdigit() for char in rest)
    masked, seen = [], 0
    for char in rest:
        if char.isdigit():
            seen += 1
            masked.append(char if seen == 1 or seen > digit_count - 2 else "•")
        elif seen > 1 or not masked:
            masked.append(char)
    return f"{prefix} {''.join(masked)}"
