"""The company's certificate authority, its one-shot and seal certificates, and secrets at rest.

Plain Python over ``cryptography``: the models keep the PEM and the encrypted keys, this module does
the maths. Every key is ECDSA P-256: generating one takes well under a millisecond.
"""

import base64
import datetime
import hashlib
import os
from dataclasses import dataclass

from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

CA_LIFETIME = datetime.timedelta(days=3650)
SEAL_LIFETIME = datetime.timedelta(days=3 * 365)
SIGNER_LIFETIME = datetime.timedelta(hours=1)
CLOCK_SKEW = datetime.timedelta(minutes=5)
CRL_LIFETIME = datetime.timedelta(days=7)
ENCRYPTION_FORMAT = "v1"
# id-kp-documentSigning (RFC 9336)
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")


class SealRejected(ValueError):
    """An uploaded seal certificate cannot be used; ``reason`` says why, ``detail`` gives a date."""

    REASONS = ("not_pkcs12", "wrong_password", "incomplete", "key_usage", "expired", "not_yet_valid")

    def __init__(self, reason, detail=None):
        assert reason in self.REASONS
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Credential:
    """A private key and its certificate (``cryptography`` objects), with the chain above it."""

    key: object
    certificate: x509.Certificate
    chain: tuple = ()

    @property
    def certificate_pem(self):
        return certificate_pem(self.certificate)

    @property
    def sha256(self):
        return certificate_sha256(self.certificate)


def utcnow():
    return datetime.datetime.now(datetime.UTC)


# ----------------------------------------------------------------------
# Secrets at rest
# ----------------------------------------------------------------------


def derive_key(secret, purpose):
    """A 256-bit key for ``purpose``, derived from a database-wide secret with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"engagement_letter_esign", info=purpose.encode()).derive(
        secret.encode()
    )


def encrypt_secret(data, key):
    """AES-256-GCM of ``data``; the result is ASCII, safe for a text field."""
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, data, ENCRYPTION_FORMAT.encode())
    return f"{ENCRYPTION_FORMAT}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt_secret(token, key):
    version, _colon, payload = (token or "").partition(":")
    if version != ENCRYPTION_FORMAT:
        raise ValueError("Unknown secret format")
    raw = base64.b64decode(payload)
    return AESGCM(key).decrypt(raw[:12], raw[12:], ENCRYPTION_FORMAT.encode())


def private_key_der(key):
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key_der(data):
    return serialization.load_der_private_key(data, password=None)


# ----------------------------------------------------------------------
# Certificates
# ----------------------------------------------------------------------


def certificate_pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def certificate_der(certificate):
    return certificate.public_bytes(serialization.Encoding.DER)


def certificate_sha256(certificate):
    return hashlib.sha256(certificate_der(certificate)).hexdigest()


def load_certificate_pem(pem):
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


def to_asn1(certificate):
    """The asn1crypto form pyHanko and its validator work with."""
    return asn1_x509.Certificate.load(certificate_der(certificate))


def _fit(text, limit=64):
    """``text`` cut to ``limit`` bytes of UTF-8 (what X.509 libraries count), on a character boundary:
    "Autorité de signature électronique de Cabinet Durand & Associés" is 64 characters, 66 bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _name(common_name, email=None, organization=None, country=None):
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name) or "-")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organization)))
    if country and len(country) == 2:
        parts.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country.upper()))
    if email:
        parts.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email[:128]))
    return x509.Name(parts)


def _key_usage(digital_signature=False, content_commitment=False, key_cert_sign=False, crl_sign=False):
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(subject, issuer, public_key, not_before, not_after):
    """What every certificate of the addon starts from: names, key, a random serial, validity."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )


def new_authority(common_name, organization=None, country=None, now=None):
    """A self-signed root for one company, able to sign certificates and revocation lists."""
    now = now or utcnow()
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organization=organization, country=country)
    certificate = (
        _builder(name, name, key.public_key(), now - datetime.timedelta(days=1), now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Credential(key=key, certificate=certificate)


def issue_certificate(
    authority,
    common_name,
    email=None,
    organization=None,
    country=None,
    lifetime=SIGNER_LIFETIME,
    crl_url=None,
    now=None,
):
    """A certificate for a new key, issued by ``authority``; the caller keeps or drops the key."""
    now = now or utcnow()
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(
            _name(common_name, email=email, organization=organization, country=country),
            authority.certificate.subject,
            key.public_key(),
            now - CLOCK_SKEW,
            min(now + lifetime, authority.certificate.not_valid_after_utc),
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.certificate.public_key()), critical=False
        )
    )
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
    certificate = builder.sign(authority.key, hashes.SHA256())
    return Credential(key=key, certificate=certificate, chain=(authority.certificate,))


def make_crl(authority, revoked_serials=(), now=None):
    """A revocation list of ``authority``, DER, valid a week; its number grows with time."""
    now = now or utcnow()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(now - CLOCK_SKEW)
        .next_update(now + CRL_LIFETIME)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.certificate.public_key()), critical=False
        )
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(authority.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# ----------------------------------------------------------------------
# The firm's own seal certificate (PKCS#12 from a trust service provider)
# ----------------------------------------------------------------------


def load_seal_pkcs12(data, password, now=None):
    """Open and check a PKCS#12 seal file; return its Credential or raise SealRejected."""
    now = now or utcnow()
    try:
        asn1_pkcs12.Pfx.load(data).native  # noqa: B018 - parsing is the check
    except Exception as exc:
        raise SealRejected("not_pkcs12") from exc
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, (password or "").encode() or None)
    except Exception as exc:
        raise SealRejected("wrong_password") from exc
    if key is None or certificate is None:
        raise SealRejected("incomplete")
    usages = [ext.value for ext in certificate.extensions if isinstance(ext.value, x509.KeyUsage)]
    if usages and not (usages[0].digital_signature or usages[0].content_commitment):
        raise SealRejected("key_usage")
    if certificate.not_valid_after_utc <= now:
        raise SealRejected("expired", certificate.not_valid_after_utc)
    if certificate.not_valid_before_utc > now + CLOCK_SKEW:
        raise SealRejected("not_yet_valid", certificate.not_valid_before_utc)
    return Credential(key=key, certificate=certificate, chain=tuple(chain or ()))


def seal_chain(credential):
    """The certificates a verifier of a seal trusts: the chain above it, or the seal itself without one."""
    chain = [cert for cert in credential.chain if cert.subject != credential.certificate.subject]
    return chain or [credential.certificate]


def pkcs12_bytes(credential, password):
    """Package a credential as PKCS#12 (used by tests and the benchmark to mimic a provider's file)."""
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(
        b"seal", credential.key, credential.certificate, list(credential.chain) or None, encryption
    )
