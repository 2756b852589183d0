"""Benchmark of the client's signing page under 20 concurrent signers.

Creates a fresh database with 20 launched collections (a client, then the firm), points the SMS
gateway at a recording HTTP server on 127.0.0.1, starts Odoo with 2 workers, then drives every
signer at once through the page, the code request and the signature (each signature is submitted
twice at the same time, as a double click would). Prints p50/p95 times, the error count, and checks
in the database that no signature was lost or doubled.

    make bench-portal           # or: python3 bench/bench_portal.py --addons-path ... --data-dir ...

Targets on 2 cores: p95 < 300 ms for the page and the code, < 1 s for the signature, no error.
"""

import re
import socket
import statistics
import subprocess
import sys
import threading
import time

import requests
from common import argument_parser, create_database, environment, odoo_command, start_odoo
from sms_server import RecordingSmsServer

SIGNERS = 20
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def parse_args():
    parser = argument_parser(__doc__, db="esign_bench_portal")
    parser.add_argument("--signers", type=int, default=SIGNERS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--ramp", type=float, default=5.0, help="seconds over which the signers arrive (0: all at the same instant)"
    )
    parser.add_argument("--think", type=float, default=1.0, help="seconds a signer spends between two steps")
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(registry, args, sms_url, base_url):
    """Launched collections and one fresh link per client signer."""
    import base64
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 770, "Lettre de mission")
    pdf.save()
    links = []
    with registry.cursor() as cr:
        env = environment(cr)
        env["ir.config_parameter"].set_param("web.base.url", base_url)
        env.company.write(
            {
                "country_id": env.ref("base.fr").id,
                "esign_sms_gateway": "http",
                "esign_http_url": sms_url + "/sms",
                "esign_http_headers": '{"Content-Type": "application/json"}',
                "esign_http_body": '{"to": "{to}", "text": "{message}"}',
                "esign_otp_hourly_limit": max(5, args.signers),
            }
        )
        signatory = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Associée Signataire",
                    "login": "bench_portal_signatory",
                    "email": "associe@cabinet.example",
                    "groups_id": [(4, env.ref("engagement_letter_esign.group_esign_signatory").id)],
                }
            )
        )
        firm = signatory.partner_id
        firm.mobile = "+33 6 98 76 54 32"
        for index in range(args.signers + 1):
            partner = env["res.partner"].create(
                {
                    "name": f"Client {index}",
                    "email": f"client{index}@example.com",
                    "mobile": f"+33 6 12 34 {index // 100:02d} {index % 100:02d}",
                }
            )
            collection = env["esign.collection"].create(
                {
                    "subject": f"Lettre de mission {index}",
                    "document_ids": [
                        (0, 0, {"name": "lettre.pdf", "original_pdf": base64.b64encode(buffer.getvalue())})
                    ],
                    "signer_ids": [
                        (0, 0, {"partner_id": partner.id, "signing_order": 1}),
                        (0, 0, {"partner_id": firm.id, "signing_order": 2, "role": "firm"}),
                    ],
                }
            )
            collection.action_launch()
            signer = collection.signer_ids.sorted("signing_order")[0]
            links.append((signer.id, signer.mobile, f"/esign/sign/{signer.id}/{signer._issue_access_token()}"))
        cr.commit()
    return links


def check_database(registry, signer_ids):
    with registry.cursor() as cr:
        cr.execute(
            """SELECT s.id, s.state, (SELECT count(*) FROM esign_event e
                                       WHERE e.signer_id = s.id AND e.event_type = 'signed')
                 FROM esign_signer s WHERE s.id = ANY(%s)""",
            [signer_ids],
        )
        rows = cr.fetchall()
    lost = [row[0] for row in rows if row[1] != "signed"]
    doubled = [row[0] for row in rows if row[2] > 1]
    return lost, doubled


def rpc(session, url, params):
    response = session.post(url, json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=30)
    response.raise_for_status()
    body = response.json()
    if "error" in body:
        raise RuntimeError(body["error"].get("data", {}).get("message") or body["error"])
    return body["result"]


def last_code(server, mobile):
    for request in reversed(server.requests):
        if f'"to": "{mobile}"' in request["body"]:
            return re.search(r"\b(\d{6})\b", request["body"])[1]
    return None


def drive(base_url, server, signer, timings, errors, barrier, delay, think):
    _signer_id, mobile, link = signer
    session = requests.Session()
    try:
        barrier.wait()
        time.sleep(delay)
        start = time.perf_counter()
        page = session.get(base_url + link, timeout=30)
        timings["page"].append(time.perf_counter() - start)
        page.raise_for_status()
        csrf = re.search(r'csrf_token: "([^"]+)"', page.text)[1]
        time.sleep(think)

        start = time.perf_counter()
        result = rpc(session, f"{base_url}{link}/code", {"csrf_token": csrf})
        timings["code"].append(time.perf_counter() - start)
        if "masked" not in result:
            raise RuntimeError(result)
        code = last_code(server, mobile)
        time.sleep(think)

        params = {"csrf_token": csrf, "code": code, "signature": PNG, "accepted": True}
        results = [None, None]

        def submit(slot):
            started = time.perf_counter()
            results[slot] = rpc(session, f"{base_url}{link}/sign", params)
            if slot == 0:
                timings["sign"].append(time.perf_counter() - started)

        double_click = threading.Thread(target=submit, args=(1,))
        double_click.start()
        submit(0)
        double_click.join()
        if not all(result and result.get("signed") for result in results):
            raise RuntimeError(results)
    except Exception as error:  # noqa: BLE001 - every failure counts as one error
        errors.append(f"{link}: {error}")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def main():
    args = parse_args()
    create_database(args.db, args.addons_path, args.data_dir)
    registry = start_odoo(args.db, args.addons_path, args.data_dir)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with RecordingSmsServer() as server:
        signers = prepare(registry, args, server.url, base_url)
        odoo_process = subprocess.Popen(
            odoo_command(
                args.db,
                args.addons_path,
                args.data_dir,
                f"--workers={args.workers}",
                "--max-cron-threads=0",
                f"--http-port={port}",
                f"--gevent-port={free_port()}",
                f"--db-filter=^{args.db}$",
                "--limit-time-real=120",
            )
        )
        try:
            for _attempt in range(120):
                try:
                    if requests.get(base_url + "/web/login", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.5)
            # Warm-up on a signer left out of the figures: each worker compiles its templates once.
            warm_up, signers = signers[-1], signers[:-1]
            for _index in range(args.workers * 3):
                requests.get(base_url + warm_up[2], timeout=60)
                requests.get(base_url + "/esign/sign/0/warm-up", timeout=60)
            timings = {"page": [], "code": [], "sign": []}
            errors = []
            barrier = threading.Barrier(len(signers))
            threads = [
                threading.Thread(
                    target=drive,
                    args=(
                        base_url,
                        server,
                        signer,
                        timings,
                        errors,
                        barrier,
                        args.ramp * index / len(signers),
                        args.think,
                    ),
                )
                for index, signer in enumerate(signers)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            odoo_process.terminate()
            try:
                odoo_process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                odoo_process.kill()
    lost, doubled = check_database(registry, [signer[0] for signer in signers])
    print(
        f"{len(signers)} concurrent signers arriving over {args.ramp:g} s, {args.think:g} s between steps, "
        f"{args.workers} workers, {elapsed:.1f} s in all"
    )
    for step, values in timings.items():
        print(
            f"{step:5}  n={len(values):3}  p50={percentile(values, 0.5) * 1000:7.0f} ms"
            f"  p95={percentile(values, 0.95) * 1000:7.0f} ms"
            f"  mean={(statistics.fmean(values) if values else 0) * 1000:7.0f} ms"
        )
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print("  ", error)
    print(f"signatures lost: {len(lost)}, doubled: {len(doubled)}")
    return 1 if errors or lost or doubled else 0


if __name__ == "__main__":
    sys.exit(main())
