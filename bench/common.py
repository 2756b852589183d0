"""A fresh database with the addon installed, shared by the benchmark scripts."""

import subprocess
import sys


def create_database(db, addons_path, data_dir, modules=("engagement_letter_esign",)):
    """Drop ``db`` if it exists, then install the addon (and any other ``modules``) on it without demo data."""
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={addons_path}",
            f"--data-dir={data_dir}",
            "-i",
            ",".join(modules),
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )


def new_collection(env, data_b64, client, firm, subject="Bench"):
    """A draft collection of one document (``data_b64``): ``client`` signs first, then ``firm``."""
    from odoo import Command

    return env["esign.collection"].create(
        {
            "subject": subject,
            "document_ids": [Command.create({"name": "lettre.pdf", "original_pdf": data_b64})],
            "signer_ids": [
                Command.create({"partner_id": client.id, "signing_order": 1}),
                Command.create({"partner_id": firm.id, "signing_order": 2}),
            ],
        }
    )
