"""Benchmark of the PDF verifier under hostile uploads: the hardened verifier against plain pyHanko.

Builds, from one PDF signed by a throwaway authority, every hostile file of
``tests/hostile_pdfs.py`` (400 fields sharing one signature, 200 distinct copies of a signature,
a 300,000-entry /Fields, malformed /Reference, /ByteRange and /Contents, deep nesting, reference
loops, broken xref, truncated file) plus two genuine files, and reads each one with:

- "hardened": ``services.pdf_verify.verify_pdf`` with the public page's limits (50 signature
  fields, 20 signatures, 10 s), as the page and the wizard call it;
- "plain": what the verifier did before, the straightforward pyHanko way: ``PdfFileReader``,
  ``embedded_signatures``, then ``validate_pdf_signature`` (or ``validate_pdf_timestamp``) for
  every field, with the same validation contexts; an exception it did not catch is shown by name
  (the page answered HTTP 500).

For each: the outcome, wall and CPU seconds (median of ``--runs`` calls), peak traced memory (one
more call under tracemalloc) and the number of log records emitted during one call. No database.

    python3 bench/bench_verifier.py [--runs 1]   # about 4 minutes, most of it plain pyHanko
"""

import contextlib
import gc
import io
import logging
import statistics
import time
import tracemalloc

from common import argument_parser, load_services


def make_pdf():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 770, "Lettre de mission - page 1")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def plain_pyhanko(pdf_verify, data, trust_roots):
    """The verifier before hardening: every embedded signature validated, ValueError/KeyError caught."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded_signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - the old code mapped any reading failure to "damaged"
        return "unreadable"
    checked = 0
    for embedded in embedded_signatures:
        try:
            if embedded.sig_object_type == "/DocTimeStamp":
                validate_pdf_timestamp(embedded, validation_context=pdf_verify.validation_context(trust_roots))
            else:
                validate_pdf_signature(embedded, signer_validation_context=pdf_verify.validation_context(trust_roots))
        except (ValueError, KeyError):
            pass
        checked += 1
    return f"{checked} checked"


def hardened(pdf_verify, data, trust_roots):
    try:
        result = pdf_verify.verify_pdf(data, trust_roots, pdf_verify.VERIFIER_LIMITS)
    except pdf_verify.TooManySignatures:
        return "too many signatures"
    except pdf_verify.PdfUnreadable:
        return "unreadable"
    broken = sum(1 for check in result.checks if {"invalid_structure", "not_checked"} & set(check.problems))
    outcome = f"{len(result.checks)} checked" + (f", {broken} invalid" if broken else "")
    return outcome + (" (stopped)" if result.stopped else "")


class Counter(logging.Handler):
    def __init__(self):
        super().__init__()
        self.count = 0

    def emit(self, record):
        self.count += 1


def measure(function, runs):
    """(outcome, median wall s, median CPU s, peak traced bytes, log records of one call)."""
    counter = Counter()
    root = logging.getLogger()
    root.addHandler(counter)
    try:
        try:
            outcome = function()
        except Exception as exc:  # noqa: BLE001 - what would have reached Odoo: an HTTP 500
            outcome = f"500 ({type(exc).__name__})"
    finally:
        root.removeHandler(counter)
    walls, cpus = [], []
    for _ in range(runs):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        with contextlib.suppress(Exception):
            function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    gc.collect()
    tracemalloc.start()
    with contextlib.suppress(Exception):
        function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, statistics.median(walls), statistics.median(cpus), peak, counter.count


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    (pdf_verify,) = load_services("pdf_verify")
    import hostile_pdfs
    import pki

    # On a server the root logger is at INFO and pyHanko's warnings reach it: do the same here,
    # into a handler that only counts (nothing printed).
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger().handlers = [logging.NullHandler()]

    authority = pki.ThrowawayAuthority()
    signed = pki.sign_pdf(make_pdf(), authority.signer("Sophie Martin", "sophie@boulangerie.example"), "Client")
    three = pki.sign_pdf(signed, authority.signer("Sylvie Signataire", "sylvie@cabinet.example"), "Cabinet")
    three = pki.sign_pdf(three, authority.signer("Paul Associe", "paul@cabinet.example"), "Associe")
    uploads = {"genuine, 1 signature": signed, "genuine, 3 signatures": three, **hostile_pdfs.hostile_uploads(signed)}
    roots = [authority.root]

    header = (
        f"{'upload':28} {'KiB':>6} | {'hardened':26} {'wall s':>7} {'cpu s':>7} {'MiB':>6} {'logs':>6} | "
        f"{'plain pyHanko':26} {'wall s':>7} {'cpu s':>7} {'MiB':>6} {'logs':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, data in uploads.items():
        cells = []
        for reader in (hardened, plain_pyhanko):
            outcome, wall, cpu, peak, logs = measure(
                lambda reader=reader, data=data: reader(pdf_verify, data, roots), args.runs
            )
            cells.append((outcome, wall, cpu, peak / 1024 / 1024, logs))
        (h_out, h_wall, h_cpu, h_mem, h_logs), (p_out, p_wall, p_cpu, p_mem, p_logs) = cells
        print(
            f"{name:28} {len(data) // 1024:6} | {h_out:26} {h_wall:7.2f} {h_cpu:7.2f} {h_mem:6.1f} {h_logs:6} | "
            f"{p_out:26} {p_wall:7.2f} {p_cpu:7.2f} {p_mem:6.1f} {p_logs:7}",
            flush=True,
        )


if __name__ == "__main__":
    main()
