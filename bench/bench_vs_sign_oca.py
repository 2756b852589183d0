"""Benchmark of the signing step against OCA's sign_oca 18.0, in the same database, on the same PDFs.

Downloads the latest ``odoo-addon-sign_oca`` 18.0.x wheel from the package index (pip), unpacks it
into an addons folder under ``--build-dir`` (never into the repository), creates a database with
both this addon and sign_oca installed, and makes PDFs of 1, 10, 50 and 200 pages (reportlab:
40 lines of text and a random-noise JPEG "photo" per page, so that the file does not compress away).

Then times, interleaved (the order of the two sides alternates from one round to the next), the
median of ``--runs`` rounds after one warm-up round:

- "addon": the whole ORM step a client signer's request runs once the code is checked,
  ``esign.signer._sign_checked`` (one-shot certificate, PAdES signature of the certified
  document with the visible stamp and the drawn signature, revision, proof events, e-mails to the
  next signer) up to its commit; the collection (client, then a firm signer) is launched and
  certified, committed and the cache emptied before the clock starts;
- "sign_oca": ``sign.oca.request.signer.action_sign`` of the first of two signers with its items
  filled as sign_oca's own tests do (its name and its drawn signature on the last page: PyPDF2
  rewrite with an overlay, no cryptography), up to its commit, from a sent request.

Prints pages, file size, both medians and their ratio, the peak traced Python memory of one addon
signature against the file size, the parapheur of 100 documents (bench_parapheur.py, run apart),
and the targets of issue 14 with pass or fail. cProfile of the addon step at 10 and 200 pages goes
to bench/results/ (``.prof`` and the top cumulative entries as text).

    python3 bench/bench_vs_sign_oca.py --addons-path ... [--runs 15] [--tsa] [--no-parapheur]
"""

import base64
import cProfile
import gc
import io
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile

from bench_signing import drawn_signature
from common import HERE, argument_parser, create_database, environment, new_collection, start_odoo

RESULTS = os.path.join(HERE, "results")
REQUIREMENT = "odoo-addon-sign_oca>=18.0,<18.1"
PAGES = (1, 10, 50, 200)
# Issue 14: the addon's step against sign_oca's (at most), the parapheur, the memory of one signature.
RATIO_TARGETS = {10: 1.0, 200: 0.5}
PARAPHEUR_TARGET_S = 15.0
MEMORY_TARGET_COPIES = 3.0


def parse_args():
    parser = argument_parser(__doc__, db="esign_bench_vs_oca")
    parser.add_argument("--build-dir", default=os.path.join(tempfile.gettempdir(), "esign-bench-vs-oca"))
    parser.add_argument("--runs", type=int, default=15, help="timed rounds (after one warm-up round)")
    parser.add_argument("--pages", default=",".join(map(str, PAGES)), help="page counts, comma separated")
    parser.add_argument("--tsa", action="store_true", help="B-T: timestamp each signature (local authority)")
    parser.add_argument("--no-parapheur", action="store_true", help="skip the parapheur of 100 documents")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile of the addon step")
    return parser.parse_args()


# ----------------------------------------------------------------------
# sign_oca from the package index
# ----------------------------------------------------------------------


def wheel_version(name):
    from packaging.version import Version

    return Version(os.path.basename(name).split("-")[1])


def fetch_sign_oca(build_dir):
    """The latest sign_oca 18.0.x wheel, unpacked; returns (version, addons folder holding sign_oca).

    Exits with a clear message when the package index cannot be reached and no wheel was fetched before.
    """
    wheels = os.path.join(build_dir, "wheels")
    os.makedirs(wheels, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--retries=2",
        "--dest",
        wheels,
    ]
    try:
        result = subprocess.run([*command, REQUIREMENT], capture_output=True, text=True, timeout=300, check=False)
        problem = result.returncode and (result.stderr.strip().splitlines() or ["pip failed"])[-1]
    except subprocess.TimeoutExpired:
        problem = "no answer from the package index within 300 s"
    found = sorted((f for f in os.listdir(wheels) if f.endswith(".whl")), key=wheel_version)
    if problem:
        if not found:
            sys.exit(
                f"Could not download {REQUIREMENT} from the package index: {problem}\n"
                "Check the network (or PIP_INDEX_URL) and run again."
            )
        print(f"warning: package index unreachable ({problem}); using the wheel fetched before: {found[-1]}")
    wheel = os.path.join(wheels, found[-1])
    version = str(wheel_version(wheel))
    target = os.path.join(build_dir, "addons", version)
    if not os.path.isdir(os.path.join(target, "odoo", "addons", "sign_oca")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    return version, os.path.join(target, "odoo", "addons")


# ----------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------


def make_pdf(pages, seed=14):
    """A4 pages of text, each with its own noise JPEG (about 35 KB: 200 pages make about 7 MB)."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    noise = random.Random(seed)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        for line in range(40):
            pdf.drawString(60, 800 - line * 14, f"Lettre de mission - page {number} - ligne {line + 1} " + "x" * 30)
        photo = io.BytesIO()
        Image.frombytes("RGB", (300, 200), noise.randbytes(300 * 200 * 3)).save(photo, "JPEG", quality=70)
        pdf.drawImage(ImageReader(io.BytesIO(photo.getvalue())), 60, 60, width=300, height=200)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# ----------------------------------------------------------------------
# The two signing steps
# ----------------------------------------------------------------------


class Bench:
    """Prepares each side's signer (not timed), then times its signing step up to the commit."""

    def __init__(self, env, signature_png):
        self.env = env
        self.signature_png = signature_png
        self.signature_url = "data:image/png;base64," + base64.b64encode(signature_png).decode()
        self.client, self.firm = env["res.partner"].create(
            [
                {"name": "Sophie Martin", "email": "sophie@example.com", "mobile": "+33612345678"},
                {"name": "Sylvie Signataire", "email": "sylvie@example.com", "mobile": "+33698765432"},
            ]
        )
        self.customer_role = env.ref("sign_oca.sign_role_customer")
        self.other_role = env.ref("sign_oca.sign_role_employee")
        env.cr.commit()

    def _settle(self):
        """Commit what was prepared and empty the cache: the timed step starts as a fresh request does."""
        self.env.flush_all()
        self.env.cr.commit()
        self.env.invalidate_all()
        gc.collect()

    def _timed(self, call, profile=None):
        start = time.perf_counter()
        if profile:
            profile.enable()
        call()
        self.env.flush_all()
        self.env.cr.commit()
        if profile:
            profile.disable()
        elapsed = time.perf_counter() - start
        self.env.invalidate_all()
        return elapsed

    def prepare_addon(self, data_b64):
        collection = new_collection(self.env, data_b64, self.client, self.firm, subject="Bench vs sign_oca")
        collection.action_launch()
        signer = collection.signer_ids.sorted("signing_order")[0]
        self._settle()
        return signer

    def addon(self, data_b64, profile=None):
        signer = self.prepare_addon(data_b64)
        return self._timed(lambda: signer._sign_checked(signature_image=self.signature_png), profile)

    def prepare_sign_oca(self, data_b64, pages):
        from odoo import Command

        request = self.env["sign.oca.request"].create(
            {
                "name": "Bench vs sign_oca",
                "data": data_b64,
                "signer_ids": [
                    Command.create({"partner_id": self.client.id, "role_id": self.customer_role.id}),
                    Command.create({"partner_id": self.firm.id, "role_id": self.other_role.id}),
                ],
            }
        )
        place = {"page": pages, "required": True, "role_id": self.customer_role.id}
        request.add_item(
            {"field_id": self.env.ref("sign_oca.sign_field_name").id, "position_x": 10, "position_y": 80}
            | {"width": 30, "height": 3}
            | place
        )
        request.add_item(
            {"field_id": self.env.ref("sign_oca.sign_field_signature").id, "position_x": 10, "position_y": 85}
            | {"width": 30, "height": 8}
            | place
        )
        request.action_send()
        signer = request.signer_ids.filtered(lambda s: s.role_id == self.customer_role)
        items = {}
        for key, item in signer.get_info()["items"].items():
            value = self.signature_url if item["field_type"] == "signature" else self.client.name
            items[key] = dict(item, value=value)
        self._settle()
        return signer, items

    def sign_oca(self, data_b64, pages, profile=None):
        signer, items = self.prepare_sign_oca(data_b64, pages)
        return self._timed(lambda: signer.action_sign(items), profile)

    def addon_memory(self, data_b64):
        """Peak traced Python memory of one addon signing step."""
        signer = self.prepare_addon(data_b64)
        tracemalloc.start()
        signer._sign_checked(signature_image=self.signature_png)
        self.env.flush_all()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.env.cr.commit()
        self.env.invalidate_all()
        return peak


def save_profile(profile, name):
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, name)
    profile.dump_stats(path + ".prof")
    with open(path + ".txt", "w") as handle:
        pstats.Stats(profile, stream=handle).sort_stats("cumulative").print_stats(60)
    return path + ".txt"


def run_parapheur(args):
    """bench_parapheur.py on its own database, in its own process; returns (total seconds, its output)."""
    command = [
        sys.executable,
        os.path.join(HERE, "bench_parapheur.py"),
        f"--addons-path={args.addons_path}",
        f"--data-dir={args.data_dir}",
        "--count=100",
        "--no-seal",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"total ([\d.]+) s", result.stdout)
    if result.returncode or not match:
        print(result.stdout + result.stderr[-2000:])
        return None, result.stdout
    return float(match.group(1)), result.stdout


def verdict(ok):
    return "pass" if ok else "FAIL"


def main():
    args = parse_args()
    pages_list = [int(p) for p in args.pages.split(",")]
    version, oca_addons = fetch_sign_oca(args.build_dir)
    addons_path = f"{args.addons_path},{oca_addons}"
    print(f"sign_oca {version} from the package index, unpacked in {oca_addons}")

    create_database(args.db, addons_path, args.data_dir, modules=("engagement_letter_esign", "sign_oca"))
    tsa = None
    if args.tsa:
        from bench_parapheur import TimestampProcess

        tsa = TimestampProcess()

    documents = {pages: make_pdf(pages) for pages in pages_list}
    encoded = {pages: base64.b64encode(data) for pages, data in documents.items()}
    registry = start_odoo(args.db, addons_path, args.data_dir)
    times = {(side, pages): [] for side in ("addon", "sign_oca") for pages in pages_list}
    load = os.getloadavg()
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = environment(cr)
        env.company.esign_tsa_url = tsa.url if tsa else False
        bench = Bench(env, drawn_signature())
        for round_number in range(args.runs + 1):
            for pages in pages_list:
                sides = [
                    ("addon", lambda pages=pages: bench.addon(encoded[pages])),
                    ("sign_oca", lambda pages=pages: bench.sign_oca(encoded[pages], pages)),
                ]
                for side, call in sides[:: 1 if round_number % 2 else -1]:
                    elapsed = call()
                    if round_number:
                        times[side, pages].append(elapsed)
            print(f"round {round_number}/{args.runs} done", file=sys.stderr)
        memory = {pages: bench.addon_memory(encoded[pages]) for pages in pages_list}
        profiles = []
        if not args.no_profile:
            for pages in (p for p in (10, 200) if p in pages_list):
                for side, step in (("addon", bench.addon), ("sign_oca", bench.sign_oca)):
                    profile = cProfile.Profile()
                    if side == "addon":
                        step(encoded[pages], profile=profile)
                    else:
                        step(encoded[pages], pages, profile=profile)
                    profiles.append(save_profile(profile, f"vs_sign_oca_{side}_{pages}p"))
    load = (*load, *os.getloadavg())
    if tsa:
        tsa.stop()
    took = time.perf_counter() - started

    print()
    print(
        f"Signing step of one client signer, one document, {'B-T (local timestamp authority)' if tsa else 'B-B'}: "
        f"median of {args.runs} interleaved rounds, up to the commit"
    )
    print(
        f"{'pages':>5} {'size KB':>8} | {'addon ms':>9} {'(min)':>7} | {'sign_oca ms':>11} {'(min)':>7} | "
        f"{'ratio':>5} | {'peak/size':>9}"
    )
    ratios = {}
    for pages in pages_list:
        addon, oca = (statistics.median(times[side, pages]) * 1000 for side in ("addon", "sign_oca"))
        addon_min, oca_min = (min(times[side, pages]) * 1000 for side in ("addon", "sign_oca"))
        ratios[pages] = addon / oca
        print(
            f"{pages:>5} {len(documents[pages]) / 1024:>8.0f} | {addon:>9.1f} {addon_min:>7.1f} | "
            f"{oca:>11.1f} {oca_min:>7.1f} | {ratios[pages]:>5.2f} | {memory[pages] / len(documents[pages]):>9.2f}"
        )
    print("ratio = addon median / sign_oca median; peak/size = peak traced Python memory of one addon step / file size")
    print(
        f"load average (1, 5, 15 min) {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} before, "
        f"{load[3]:.1f} {load[4]:.1f} {load[5]:.1f} after ({took:.0f} s, {os.cpu_count()} CPUs)"
    )
    for path in profiles:
        print(f"profile: {os.path.relpath(path)}")

    parapheur = None
    if not args.no_parapheur:
        parapheur, output = run_parapheur(args)
        print()
        print("Parapheur of 100 documents (bench_parapheur.py --no-seal):")
        print("".join(f"  {line}\n" for line in output.splitlines()), end="")

    print()
    print("Targets (issue 14):")
    for pages, target in RATIO_TARGETS.items():
        if pages in ratios:
            ratio = ratios[pages]
            print(f"  addon <= {target:.1f} x sign_oca at {pages} pages: {ratio:.2f} {verdict(ratio <= target)}")
    largest = max(pages_list)
    copies = memory[largest] / len(documents[largest])
    print(
        f"  memory of one signature < {MEMORY_TARGET_COPIES:.0f} copies of the file ({largest} pages): "
        f"{copies:.2f} {verdict(copies < MEMORY_TARGET_COPIES)}"
    )
    if not args.no_parapheur:
        shown = f"{parapheur:.2f} s" if parapheur is not None else "not measured (see above)"
        print(
            f"  parapheur of 100 documents < {PARAPHEUR_TARGET_S:.0f} s: {shown} "
            f"{verdict(parapheur is not None and parapheur < PARAPHEUR_TARGET_S)}"
        )


if __name__ == "__main__":
    main()
