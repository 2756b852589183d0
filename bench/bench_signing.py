"""Benchmark of one PAdES signature: the addon's signing step against plain pyHanko.

Signs a 1-page, a 10-page and a 100-page PDF (made here with reportlab), certified by the firm
as at launch (every field laid out), without and with an RFC 3161 timestamp from a local authority
over HTTP (pyHanko's DummyTimeStamper behind http.server on 127.0.0.1):

- "addon": what ``esign.signer._sign_checked`` does per document, through the addon's own
  services: a fresh ECDSA P-256 key, a one-shot certificate from the company CA, the visible stamp
  with a drawn signature in its field, the signature and its timestamp (B-T);
- "pyhanko": plain pyHanko used the straightforward way on the same certified PDF,
  ``SimpleSigner.load_pkcs12`` from an RSA-2048 PKCS#12 file on every call, then
  ``PdfSigner.sign_pdf`` in a new field with the same timestamper.

With ``--seal``, it times the seal step instead, on a 1-, 36- and 100-page letter certified and
signed twice (B-T): OCSP and CRLs of every chain fetched over HTTP from the local authority's
responder and CRL server, VRI per signature, document timestamp (B-LTA): time per document and
file growth.

With ``--db`` (a database where the addon is installed), it also times the whole ORM step
``_sign_checked`` (certificate, signature, proof events, e-mails) on the 10-page letter.

    python3 bench/bench_signing.py [--runs 15] [--db esign_bench --addons-path ...]
"""

import datetime
import gc
import io
import os
import statistics
import tempfile
import time
import tracemalloc

from common import argument_parser, environment, load_services, new_collection, start_odoo
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def make_pdf(pages):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        for line in range(40):
            pdf.drawString(60, 780 - line * 18, f"Lettre de mission - page {number} - ligne {line + 1} " + "x" * 40)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def drawn_signature():
    from PIL import Image, ImageDraw

    picture = Image.new("RGBA", (400, 150), (255, 255, 255, 0))
    ImageDraw.Draw(picture).line([(10, 120), (100, 20), (200, 130), (300, 30), (390, 100)], fill=(0, 0, 80), width=6)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def start_tsa(tsa_module):
    return tsa_module.LocalTimestampAuthority().start()


def measure(function, runs):
    """Median seconds over ``runs`` calls (after one warm-up) and peak traced memory of one call."""
    function()
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", help="database with the addon installed, to time the whole ORM step too")
    parser.add_argument("--seal", action="store_true", help="time the seal step (B-LTA) instead")
    parser.add_argument("--addons-path")
    args = parser.parse_args()

    pades, pki, stamp_appearance, timestamp_client = load_services(
        "pades", "pki", "stamp_appearance", "timestamp_client"
    )
    import tsa as tsa_module
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields as pyhanko_fields
    from pyhanko.sign import signers

    authority = pki.new_authority("Cabinet Bench - autorite", organization="Cabinet Bench", country="FR")
    provider = pki.new_authority("Prestataire")
    rsa_seal = pki.Credential(key=rsa.generate_private_key(public_exponent=65537, key_size=2048), certificate=None)
    rsa_seal.certificate = (
        pki.x509.CertificateBuilder()
        .subject_name(pki._name("Cabinet Bench"))
        .issuer_name(provider.certificate.subject)
        .public_key(rsa_seal.key.public_key())
        .serial_number(pki.x509.random_serial_number())
        .not_valid_before(pki.utcnow() - datetime.timedelta(days=1))
        .not_valid_after(pki.utcnow() + datetime.timedelta(days=365))
        .sign(provider.key, pki.hashes.SHA256())
    )
    rsa_seal.chain = (provider.certificate,)
    seal = pki.issue_certificate(authority, "Cabinet Bench", lifetime=pki.SEAL_LIFETIME)
    p12_path = os.path.join(tempfile.mkdtemp(), "plain.p12")
    with open(p12_path, "wb") as handle:
        handle.write(pki.pkcs12_bytes(rsa_seal, "bench"))

    tsa = start_tsa(tsa_module)
    if args.seal:
        bench_seal(tsa, args.runs)
        tsa.stop()
        return
    image = drawn_signature()
    places = [pades.FieldPlace(pades.SIGNER_FIELD % n, f"Signataire {n}") for n in (1, 2)]
    places.append(pades.FieldPlace(pades.SEAL_FIELD, "Cachet"))
    spec = pades.SignatureSpec(
        pades.SIGNER_FIELD % 1,
        stamp_appearance.Stamp("Signé électroniquement par\nSophie Martin\nle 01/03/2026 à 10:00:00", image),
        "Sophie Martin",
        places,
    )

    rows = []
    for pages in (1, 10, 100):
        data = make_pdf(pages)
        for timestamped in (False, True):
            timestamper = timestamp_client.make_timestamper(tsa.url) if timestamped else None
            certified = pades.certify_pdf(data, seal, pades.FieldLayout(places), timestamper)

            def addon_step(data=certified, timestamper=timestamper):
                credential = pki.issue_certificate(
                    authority, "Sophie Martin", email="sophie@example.com", crl_url="http://localhost/esign/ca/1.crl"
                )
                return pades.sign_pdf(data, credential, spec, timestamper)

            plain_timestamper = timestamp_client.make_timestamper(tsa.url) if timestamped else None

            def plain_pyhanko(data=certified, timestamper=plain_timestamper):
                signer = signers.SimpleSigner.load_pkcs12(p12_path, passphrase=b"bench")
                output = signers.PdfSigner(
                    signers.PdfSignatureMetadata(
                        field_name="Signature1", subfilter=pyhanko_fields.SigSeedSubFilter.PADES
                    ),
                    signer,
                    timestamper=timestamper,
                    new_field_spec=pyhanko_fields.SigFieldSpec("Signature1", on_page=-1, box=(30, 30, 195, 106)),
                ).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data), strict=False))
                return output.getvalue()

            addon_time, addon_peak = measure(addon_step, args.runs)
            plain_time, plain_peak = measure(plain_pyhanko, args.runs)
            rows.append((pages, len(data), timestamped, addon_time, addon_peak, plain_time, plain_peak))

    print(f"PAdES signature, median of {args.runs} runs, peak = traced Python memory of one call")
    header = f"{'pages':>5} {'size':>9} {'TSA':>4} | {'addon ms':>9} {'peak KB':>8} | "
    print(header + f"{'pyHanko ms':>10} {'peak KB':>8} | ratio")
    for pages, size, timestamped, addon_time, addon_peak, plain_time, plain_peak in rows:
        print(
            f"{pages:>5} {size:>9} {'yes' if timestamped else 'no':>4} | {addon_time * 1000:>9.1f} "
            f"{addon_peak / 1024:>8.0f} | {plain_time * 1000:>10.1f} {plain_peak / 1024:>8.0f} | "
            f"{plain_time / addon_time:>5.2f}x"
        )
    print("ratio = plain pyHanko time / addon time (above 1: the addon is faster)")
    if args.db:
        bench_orm_step(args, make_pdf(10), tsa)
    tsa.stop()


def bench_seal(tsa, runs):
    """The seal of a certified letter signed by two signers, with complete validation data."""
    pades, pades_level, pki, stamp_appearance, timestamp_client = load_services(
        "pades", "pades_level", "pki", "stamp_appearance", "timestamp_client"
    )

    authority = pki.new_authority("Cabinet Bench - autorite", organization="Cabinet Bench", country="FR")
    crl_url = "http://localhost/esign/ca/1.crl"
    seal = pki.issue_certificate(authority, "Cabinet Bench", lifetime=pki.SEAL_LIFETIME, crl_url=crl_url)
    places = [pades.FieldPlace(pades.SIGNER_FIELD % n, f"Signataire {n}") for n in (1, 2)]
    places.append(pades.FieldPlace(pades.SEAL_FIELD, "Cachet"))
    root = pki.to_asn1(authority.certificate)

    def local_crl(issuer):
        return pki.make_crl(authority) if issuer.dump() == root.dump() else None

    print(f"Seal step (seal + validation data + document timestamp), median of {runs} runs")
    print(f"{'pages':>5} {'signed KB':>9} | {'seal ms':>9} {'+KB':>6} | {'level ms':>8} | OCSP/CRL requests")
    seal_spec = pades.SignatureSpec(pades.SEAL_FIELD, stamp_appearance.Stamp("Scellé"), "Cabinet Bench")
    for pages in (1, 36, 100):
        timestamper = timestamp_client.make_timestamper(tsa.url, fresh=True)
        data = pades.certify_pdf(make_pdf(pages), seal, pades.FieldLayout(places), timestamper)
        for number in (1, 2):
            signer = pki.issue_certificate(authority, f"Signataire {number}", email="s@example.com", crl_url=crl_url)
            spec = pades.SignatureSpec(pades.SIGNER_FIELD % number, stamp_appearance.Stamp("Signé"))
            data = pades.sign_pdf(data, signer, spec, timestamper)

        def complete(data=data):
            stamper = timestamp_client.make_timestamper(tsa.url, fresh=True)
            certificates = timestamp_client.timestamp_trust(stamper)
            anchors = [c for c in certificates if c.self_signed in ("yes", "maybe")]
            settings = pades.LongTermSettings(
                trust_roots=(root, *anchors), certificates=tuple(certificates), local_crl=local_crl
            )
            return pades.sign_pdf(data, seal, seal_spec, stamper, settings)

        hits = sum(tsa.hits.values())
        complete_time, _peak = measure(complete, runs)
        requests = (sum(tsa.hits.values()) - hits) / (runs + 2)
        sealed = complete()
        growth_complete = (len(sealed) - len(data)) / 1024
        # The check the seal queue makes before marking a collection done: B-LTA from the file alone.
        level_time, _peak = measure(lambda sealed=sealed: pades_level.pades_level(sealed), runs)
        assert pades_level.pades_level(sealed).level == "B-LTA"
        print(
            f"{pages:>5} {len(data) / 1024:>9.0f} | {complete_time * 1000:>9.1f} {growth_complete:>6.1f} | "
            f"{level_time * 1000:>8.1f} | {requests:.0f} per seal"
        )


def bench_orm_step(args, data, tsa):
    """The whole ``_sign_checked`` of a first signer on a 10-page letter, TSA on, in a rolled back transaction."""
    import base64

    with start_odoo(args.db, args.addons_path).cursor() as cr:
        env = environment(cr)
        env.company.esign_tsa_url = tsa.url
        partner, firm = env["res.partner"].create(
            [
                {"name": "Sophie Martin", "email": "sophie@example.com", "mobile": "+33612345678"},
                {"name": "Sylvie Signataire", "email": "sylvie@example.com", "mobile": "+33698765432"},
            ]
        )
        times = []
        for _ in range(args.runs + 1):
            collection = new_collection(env, base64.b64encode(data), partner, firm)
            collection.action_launch()
            signer = collection.signer_ids.sorted("signing_order")[0]
            env.flush_all()
            start = time.perf_counter()
            signer._sign_checked()
            env.flush_all()
            times.append(time.perf_counter() - start)
        cr.rollback()
    print(f"ORM step _sign_checked, 10 pages, TSA: median {statistics.median(times[1:]) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
