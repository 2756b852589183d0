"""Benchmark of the expiry and purge scheduled actions on a large table.

Fills a database with 100,000 collections in mixed states (set-based inserts), 5,000 of them
past their deadline and 5,000 past their retention (each with a real PDF file in the filestore),
then times one run of the expiry cron and one of the purge cron (chatter, activities, proof
events and file deletion included), then a second run of each with nothing left to do.

    make bench-crons            # or: python3 bench/bench_crons.py --db esign_bench --addons-path ...
"""

import io
import os
import time

from common import argument_parser, create_database, environment, start_odoo
from reportlab.pdfgen import canvas

TOTAL = 100_000
DUE_EXPIRY = 5_000
DUE_PURGE = 5_000


def parse_args():
    parser = argument_parser(__doc__, db="esign_bench")
    parser.add_argument("--total", type=int, default=TOTAL)
    return parser.parse_args()


def fill(env, total):
    """Set-based inserts: collections, two signers and two events each."""
    cr = env.cr
    company = env.company.id
    user = env.ref("base.user_admin").id
    cr.execute(
        """
        INSERT INTO esign_collection
               (name, subject, state, outcome, company_id, user_id, launch_date, deadline, end_date, purge_date,
                reminder_count, create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/' || n, 'Lettre de mission ' || n,
               s.state, s.outcome, %(company)s, %(user)s, s.launch, s.deadline, s.ended, s.purge,
               0, now(), now(), %(user)s, %(user)s
          FROM generate_series(1, %(total)s) n
          CROSS JOIN LATERAL (
              SELECT CASE
                  WHEN n <= %(expiry)s THEN 'in_progress'
                  WHEN n <= %(expiry)s + %(purge)s THEN 'done'
                  ELSE (ARRAY['draft', 'ready', 'in_progress', 'done',
                              'refused', 'expired', 'cancelled', 'purged'])[n %% 8 + 1]
              END AS state) st
          CROSS JOIN LATERAL (
              SELECT st.state,
                     CASE WHEN st.state IN ('done', 'refused', 'expired', 'cancelled', 'purged')
                          THEN CASE WHEN st.state = 'purged' THEN 'done' ELSE st.state END END AS outcome,
                     now() - interval '20 days' AS launch,
                     CASE WHEN st.state = 'in_progress'
                          THEN CASE WHEN n <= %(expiry)s THEN now() - interval '1 day'
                                    ELSE now() + interval '10 days' END
                     END AS deadline,
                     CASE WHEN st.state IN ('done', 'refused', 'expired', 'cancelled', 'purged')
                          THEN now() - interval '5 days' END AS ended,
                     CASE WHEN st.state IN ('done', 'refused', 'expired', 'cancelled', 'purged')
                          THEN CASE WHEN n <= %(expiry)s + %(purge)s THEN now() - interval '1 day'
                                    ELSE now() + interval '25 days' END END AS purge
          ) s
        """,
        {"company": company, "user": user, "total": total, "expiry": DUE_EXPIRY, "purge": DUE_PURGE},
    )
    cr.execute(
        """
        INSERT INTO esign_signer (collection_id, company_id, name, email, mobile, signing_order, role, state,
                                  create_date, write_date, create_uid, write_uid)
        SELECT c.id, c.company_id, 'Signataire ' || c.id || '-' || k, 's' || c.id || '-' || k || '@example.com',
               '+3361234' || lpad((c.id % 10000)::text, 4, '0'), k, CASE WHEN k = 1 THEN 'client' ELSE 'firm' END,
               CASE WHEN c.state IN ('done', 'purged') THEN 'signed'
                    WHEN c.state = 'in_progress' AND k = 1 THEN 'to_sign' ELSE 'waiting' END,
               now(), now(), c.create_uid, c.create_uid
          FROM esign_collection c CROSS JOIN generate_series(1, 2) k
         WHERE c.name LIKE 'BENCH/%'
        """
    )
    cr.execute(
        """
        INSERT INTO esign_event (collection_id, company_id, sequence, event_type, timestamp, actor_name,
                                 previous_hash, hash, create_date, write_date, create_uid, write_uid)
        SELECT c.id, c.company_id, k, CASE WHEN k = 1 THEN 'created' ELSE 'launched' END, now(), 'bench',
               repeat('0', 64), md5(c.id::text || k) || md5(k || c.id::text), now(), now(), c.create_uid, c.create_uid
          FROM esign_collection c CROSS JOIN generate_series(1, 2) k
         WHERE c.name LIKE 'BENCH/%'
        """
    )


def _pdf(number):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 770, f"Lettre de mission {number}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def attach_files(env):
    """A distinct real PDF in the filestore for each collection due for purge (one document each)."""
    env.cr.execute(
        "SELECT id, company_id FROM esign_collection WHERE name LIKE 'BENCH/%' AND state = 'done' "
        "AND purge_date <= now() ORDER BY id"
    )
    rows = env.cr.fetchall()
    env.cr.execute(
        """
        INSERT INTO esign_document (collection_id, company_id, sequence, name, original_sha256, signed_sha256,
                                    page_count, file_size, create_date, write_date)
        SELECT id, company_id, 10, 'lettre.pdf', repeat('a', 64), repeat('a', 64), 1, 1000, now(), now()
          FROM unnest(%s::int[], %s::int[]) AS t(id, company_id)
        RETURNING id
        """,
        [[r[0] for r in rows], [r[1] for r in rows]],
    )
    document_ids = [row[0] for row in env.cr.fetchall()]
    env["ir.attachment"].create(
        [
            {
                "name": "original_pdf",
                "res_model": "esign.document",
                "res_id": document_id,
                "res_field": "original_pdf",
                "raw": _pdf(document_id),
            }
            for document_id in document_ids
        ]
    )
    return len(document_ids)


def count_files(path):
    return sum(len(files) for folder, _dirs, files in os.walk(path) if "checklist" not in folder)


def timed(label, function):
    start = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - start
    print(f"{label:<46} {elapsed:8.3f} s   ({result} collections)")
    return elapsed


def main():
    args = parse_args()
    create_database(args.db, args.addons_path, args.data_dir)
    registry = start_odoo(args.db, args.addons_path, args.data_dir)
    with registry.cursor() as cr:
        env = environment(cr)
        start = time.perf_counter()
        fill(env, args.total)
        files = attach_files(env)
        cr.commit()
        cr.execute("ANALYZE esign_collection; ANALYZE esign_event; ANALYZE esign_signer")
        print(f"filled {args.total} collections ({files} PDF files) in {time.perf_counter() - start:.1f} s")

    with registry.cursor() as cr:
        env = environment(cr)
        collections = env["esign.collection"]
        timed("expiry cron, first run", collections._cron_expire)
        timed("expiry cron, nothing due", collections._cron_expire)
        timed("purge cron, first run", collections._cron_purge)
        timed("purge cron, nothing due", collections._cron_purge)
        cr.commit()
        filestore = env["ir.attachment"]._filestore()
        before = count_files(filestore)
        timed("filestore garbage collection", lambda: env["ir.attachment"]._gc_file_store_unsafe() or files)
        print(f"PDF files deleted from the filestore: {before - count_files(filestore)}")
        cr.commit()
        cr.execute(
            "EXPLAIN SELECT id FROM esign_collection WHERE state = 'in_progress' AND deadline <= now() "
            "ORDER BY id LIMIT 500"
        )
        print("plan of the due-expiry lookup:", " / ".join(row[0].strip() for row in cr.fetchall()[:3]))


if __name__ == "__main__":
    main()
