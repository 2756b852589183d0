"""Benchmark of the parapheur: one SMS code signs N waiting 2-page documents in one batch.

Creates a fresh database with the addon, a firm signatory, N collections of one 2-page letter
waiting for that signatory, a local RFC 3161 timestamp authority over HTTP (in its own process)
and a local SMS gateway (both on 127.0.0.1). The signatory selects everything, receives one
code, confirms it, and the scheduled action signs the batch (one-shot certificate, stamp, PAdES
B-T signature with its timestamp). The firm certified each document at launch (not timed here).

Prints the total time, the time per document and the growth of the process's peak resident
memory (with --trace-memory, also the peak traced Python memory). Then, timed apart, what
follows out of the signatory's way: the seal queue (seal, validation data and document
timestamp of each completed collection, the completion e-mails) and the evidence reports.

    python3 bench/bench_parapheur.py --addons-path ... [--db esign_bench_parapheur] [--count 100]
"""

import multiprocessing
import os
import re
import resource
import time
import tracemalloc

from common import argument_parser, create_database, environment, start_odoo


def parse_args():
    parser = argument_parser(__doc__, db="esign_bench_parapheur")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--trace-memory", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--no-reports", action="store_true", help="skip the evidence reports (1 s each)")
    parser.add_argument("--no-seal", action="store_true", help="skip the seal queue (and the evidence reports)")
    return parser.parse_args()


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_letter(pages=2):
    """A 2-page letter made with reportlab, as a base64 field value."""
    import base64
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        for line in range(40):
            pdf.drawString(60, 780 - line * 18, f"Lettre de mission - page {number} - ligne {line + 1}")
        pdf.showPage()
    pdf.save()
    return base64.b64encode(buffer.getvalue())


def prepare(env, count, tsa_url, sms_url):
    from odoo import Command

    env.company.write(
        {
            "esign_tsa_url": tsa_url,
            "esign_sms_gateway": "http",
            "esign_http_url": sms_url,
            "esign_http_method": "POST",
            "esign_http_headers": '{"Content-Type": "application/json"}',
            "esign_http_body": '{"to": "{to}", "text": "{message}"}',
            "country_id": env.ref("base.fr").id,
        }
    )
    signatory = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Sylvie Signataire",
                "login": "bench_signatory",
                "email": "sylvie@cabinet.example",
                "groups_id": [Command.link(env.ref("engagement_letter_esign.group_esign_signatory").id)],
            }
        )
    )
    signatory.partner_id.mobile = "+33698765432"
    letter = make_letter()
    collections = env["esign.collection"].create(
        [
            {
                "subject": f"Lettre de mission {n}",
                "user_id": signatory.id,
                "document_ids": [Command.create({"name": f"lettre_{n}.pdf", "original_pdf": letter})],
                "signer_ids": [Command.create({"partner_id": signatory.partner_id.id, "role": "firm"})],
            }
            for n in range(count)
        ]
    )
    collections.action_launch()
    return signatory, collections


def serve_timestamps(pipe, counter):
    """The local timestamp authority, in a process of its own as a real one would be (its CPU is
    not the signing's); ``counter`` counts the timestamps it gives."""
    from tsa import LocalTimestampAuthority

    class CountingAuthority(LocalTimestampAuthority):
        @property
        def requests(self):
            return counter.value

        @requests.setter
        def requests(self, value):
            counter.value = value

    authority = CountingAuthority().start()
    pipe.send(authority.url)
    pipe.recv()
    authority.stop()


class TimestampProcess:
    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self.counter = context.Value("i", 0)
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=serve_timestamps, args=(child, self.counter), daemon=True)
        self.process.start()
        self.url = self.pipe.recv()

    @property
    def requests(self):
        return self.counter.value

    def stop(self):
        self.pipe.send("stop")
        self.process.join(10)


def main():
    args = parse_args()
    from sms_server import RecordingSmsServer

    create_database(args.db, args.addons_path, args.data_dir)
    tsa = TimestampProcess()
    sms = RecordingSmsServer().__enter__()
    registry = start_odoo(args.db, args.addons_path, args.data_dir)

    with registry.cursor() as cr:
        env = environment(cr)
        started = time.perf_counter()
        signatory, collections = prepare(env, args.count, tsa.url, sms.url + "/sms")
        took = time.perf_counter() - started
        print(f"prepared {len(collections)} collections waiting for the signatory in {took:.1f} s")
        signatory_id = signatory.id

    with registry.cursor() as cr:
        env = environment(cr, signatory_id)
        waiting = env["esign.signer"].search(env["esign.parapheur.batch"]._parapheur_domain())
        wizard = (
            env["esign.parapheur.sign"].with_context(active_model="esign.signer", active_ids=waiting.ids).create({})
        )
        wizard.action_send_code()
        sms_count = len(sms.requests)
        wizard.code = re.search(r"\b(\d{6})\b", sms.last_message()).group(1)
        wizard.action_sign()
        batch_id = wizard.batch_id.id
        print(f"selected {len(waiting)} documents, {sms_count} SMS sent, batch {wizard.batch_id.name} queued")

    tsa_before = tsa.requests
    rss_before = rss_mb()
    if args.trace_memory:
        tracemalloc.start()
    with registry.cursor() as cr:
        env = environment(cr)
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx(
                'env["esign.parapheur.batch"]._cron_sign_batches()', globals(), locals(), os.environ["BENCH_PROFILE"]
            )
        else:
            env["esign.parapheur.batch"]._cron_sign_batches()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else None
        batch = env["esign.parapheur.batch"].browse(batch_id)
        print(
            f"parapheur batch: {batch.signed_count} signed, {batch.skipped_count} not signed, "
            f"{tsa.requests - tsa_before} timestamps"
        )
        print(f"  total {elapsed:.2f} s, {1000 * elapsed / max(batch.signed_count, 1):.0f} ms per document")
        print(f"  peak resident memory growth {rss_mb() - rss_before:.1f} MB")
        if peak is not None:
            print(f"  peak traced Python memory {peak / 2**20:.1f} MB (tracemalloc slows the run)")
    tracemalloc.stop()

    if args.no_seal:
        sms.__exit__(None, None, None)
        tsa.stop()
        return
    with registry.cursor() as cr:
        env = environment(cr)
        tsa_before = tsa.requests
        started = time.perf_counter()
        sealed = env["esign.collection"]._cron_seal()
        elapsed = time.perf_counter() - started
        done = env["esign.collection"].search_count([("state", "=", "done")])
        print(
            f"seal queue afterwards: {sealed} collections sealed and closed ({done} done), "
            f"{tsa.requests - tsa_before} timestamp authority requests, "
            f"{elapsed:.1f} s ({1000 * elapsed / max(sealed, 1):.0f} ms each)"
        )

    if not args.no_reports:
        with registry.cursor() as cr:
            env = environment(cr)
            started = time.perf_counter()
            made = env["esign.collection"]._cron_evidence_reports()
            elapsed = time.perf_counter() - started
            print(
                f"evidence reports afterwards: {made} in {elapsed:.1f} s ({1000 * elapsed / max(made, 1):.0f} ms each)"
            )
    sms.__exit__(None, None, None)
    tsa.stop()


if __name__ == "__main__":
    main()
