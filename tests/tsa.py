"""A real RFC 3161 timestamp authority on 127.0.0.1, for tests, with the revocation services of a
public one: pyHanko's DummyTimeStamper over HTTP, its certificate issued by an intermediate CA under
a root, each declaring where its revocation status is published.

The same HTTP server answers ``/tsr`` (timestamps), ``/root.crl`` (the root's CRL, covering the
intermediate), ``/ca.crl`` (the intermediate's CRL, covering the TSA certificate) and ``/ocsp``
(an OCSP responder for the TSA certificate, signed by the intermediate).
"""

import base64
import collections
import datetime
import http.server
import threading

from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from pyhanko.sign.general import as_signing_certificate, get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko.sign.timestamps import DummyTimeStamper


def _asn1(certificate):
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _key_info(key):
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, key, issuer_key, ca, now, crl_url=None, ocsp_url=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


class _LoadedKeyTimeStamper(DummyTimeStamper):
    """pyHanko's DummyTimeStamper, signing with its RSA key loaded once: pyHanko's loads and checks
    the key again for every timestamp (30 ms), time that no real authority spends and that would
    weigh on every benchmark of the signing step."""

    def __init__(self, private_key, **kwargs):
        super().__init__(tsa_key=_key_info(private_key), **kwargs)
        self._private_key = private_key

    def _sign_tst_info(self, tst_info_data, md_algorithm, dt):
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._private_key.sign(
            signed_attrs.dump(), padding.PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


class LocalTimestampAuthority:
    """Start with ``start()``, point the company at ``url``, stop with ``stop()``; ``root`` is its root.

    ``revocation_down`` makes the CRL and OCSP addresses answer 503; ``revoke_tsa()`` revokes the TSA
    certificate in both; ``hits`` counts the requests per path. ``embed_root=False`` leaves the root
    out of the timestamp responses (as some authorities do: then it must be uploaded).
    """

    def __init__(self, credentials=None, embed_root=True):
        self.credentials = credentials
        self.requests = 0
        self.hits = collections.Counter()
        self.revocation_down = False
        self.revoked = {}
        self._thread = None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        base = f"http://127.0.0.1:{self.server.server_port}"
        now = datetime.datetime.now(datetime.UTC)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        # pyHanko's DummyTimeStamper signs with RSA only.
        self.tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.root_certificate = _certificate("Test TSA Root", "Test TSA Root", self.root_key, self.root_key, True, now)
        self.ca_certificate = _certificate(
            "Test TSA CA", "Test TSA Root", self.ca_key, self.root_key, True, now, crl_url=f"{base}/root.crl"
        )
        self.tsa_certificate = _certificate(
            "Test TSA",
            "Test TSA CA",
            self.tsa_key,
            self.ca_key,
            False,
            now,
            crl_url=f"{base}/ca.crl",
            ocsp_url=f"{base}/ocsp",
        )
        self.root = _asn1(self.root_certificate)
        self.stamper = _LoadedKeyTimeStamper(
            self.tsa_key,
            tsa_cert=_asn1(self.tsa_certificate),
            certs_to_embed=[_asn1(self.ca_certificate), *([self.root] if embed_root else [])],
        )

    def revoke_tsa(self):
        self.revoked[self.tsa_certificate.serial_number] = datetime.datetime.now(datetime.UTC)

    def crl(self, issuer_certificate, issuer_key):
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer_certificate.subject)
            .last_update(now - datetime.timedelta(minutes=1))
            .next_update(now + datetime.timedelta(days=7))
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )
        for serial, moment in self.revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(moment).build()
            )
        return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_response(self, body):
        request = ocsp.load_der_ocsp_request(body)
        if request.serial_number != self.tsa_certificate.serial_number:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
                serialization.Encoding.DER
            )
        now = datetime.datetime.now(datetime.UTC)
        revoked_at = self.revoked.get(request.serial_number)
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=self.tsa_certificate,
                issuer=self.ca_certificate,
                algorithm=request.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
                this_update=now - datetime.timedelta(seconds=5),
                next_update=now + datetime.timedelta(days=1),
                revocation_time=revoked_at,
                revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.ca_certificate)
        )
        return builder.sign(self.ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def _handler(self):
        authority = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real authorities
            # Headers and body go out in two writes: without this, Nagle holds the body back until
            # the client's delayed acknowledgement (40 ms) of the headers.
            disable_nagle_algorithm = True

            def _reply(self, status, content_type="application/octet-stream", body=b""):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _revocation(self, produce, content_type):
                authority.hits[self.path] += 1
                if authority.revocation_down:
                    self._reply(503)
                    return
                self._reply(200, content_type, produce())

            def do_GET(self):
                if self.path == "/root.crl":
                    self._revocation(
                        lambda: authority.crl(authority.root_certificate, authority.root_key), "application/pkix-crl"
                    )
                elif self.path == "/ca.crl":
                    self._revocation(
                        lambda: authority.crl(authority.ca_certificate, authority.ca_key), "application/pkix-crl"
                    )
                else:
                    self._reply(404)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/ocsp":
                    self._revocation(lambda: authority.ocsp_response(body), "application/ocsp-response")
                    return
                if authority.credentials:
                    expected = "Basic " + base64.b64encode(":".join(authority.credentials).encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        self._reply(401)
                        return
                request = tsp.TimeStampReq.load(body)
                response = authority.stamper.request_tsa_response(request).dump()
                authority.requests += 1
                self._reply(200, "application/timestamp-reply", response)

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}/tsr"

    def stop(self):
        if self._thread is not None:
            self.server.shutdown()
            self._thread = None
        self.server.server_close()
