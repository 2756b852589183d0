"""A real RFC 3161 timestamp authority on 127.0.0.1, for tests: pyHanko's DummyTimeStamper over HTTP."""

import base64
import datetime
import http.server
import threading

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper


def _asn1(certificate):
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _key_info(key):
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


def _certificate(subject, issuer, public_key, signing_key, ca, now):
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


class LocalTimestampAuthority:
    """Start with ``start()``, point the company at ``url``, stop with ``stop()``; ``root`` is its CA."""

    def __init__(self, credentials=None):
        self.credentials = credentials
        now = datetime.datetime.now(datetime.UTC)
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root = _certificate("Test TSA Root", "Test TSA Root", root_key.public_key(), root_key, True, now)
        leaf = _certificate("Test TSA", "Test TSA Root", tsa_key.public_key(), root_key, False, now)
        self.root = _asn1(root)
        self.requests = 0
        self.stamper = DummyTimeStamper(
            tsa_cert=_asn1(leaf),
            tsa_key=_key_info(tsa_key),
            certs_to_embed=[self.root],
        )
        self.server = None

    def start(self):
        authority = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real authorities
            # Headers and body go out in two writes: without this, Nagle holds the body back until
            # the client's delayed acknowledgement (40 ms) of the headers.
            disable_nagle_algorithm = True

            def do_POST(self):
                if authority.credentials:
                    expected = "Basic " + base64.b64encode(":".join(authority.credentials).encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        self.send_response(401)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
                body = authority.stamper.request_tsa_response(request).dump()
                authority.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}/tsr"

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
