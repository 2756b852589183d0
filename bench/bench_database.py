"""A fresh database with the addon installed, shared by the benchmark scripts."""

import subprocess
import sys


def create_database(db, addons_path, data_dir):
    """Drop ``db`` if it exists, then install the addon on it without demo data."""
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
            "engagement_letter_esign",
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )
