"""What the benchmark scripts share: their command line, a fresh database, Odoo started in the
process, a collection to sign, the addon's services without Odoo.

The tests' helpers (local timestamp authority, SMS server, PKI, hostile PDFs) are importable once
this module is: their folder is put after this one on the path, so ``common`` is this module.
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ADDON = "engagement_letter_esign"
DATA_DIR = os.path.join(tempfile.gettempdir(), "esign-bench-data")
sys.path.append(os.path.join(HERE, "..", "tests"))


def argument_parser(description, db=None):
    """The script's parser, its docstring as help; with ``db`` (the default database), the options of
    a run on a fresh database: --db, --addons-path and --data-dir."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    if db:
        parser.add_argument("--db", default=db)
        parser.add_argument("--addons-path", required=True, help="Odoo's addons folders and the one holding this addon")
        parser.add_argument("--data-dir", default=DATA_DIR)
    return parser


def odoo_command(db, addons_path, data_dir, *extra):
    """The command line of an Odoo server on ``db``."""
    import odoo

    # odoo-bin rather than "-m odoo": the prefork server re-executes its own script for the websocket worker.
    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    return [
        sys.executable,
        *([odoo_bin] if os.path.exists(odoo_bin) else ["-m", "odoo"]),
        "-d",
        db,
        f"--addons-path={addons_path}",
        f"--data-dir={data_dir}",
        "--log-level=warn",
        *extra,
    ]


def create_database(db, addons_path, data_dir, modules=(ADDON,)):
    """Drop ``db`` if it exists, then install the addon (and any other ``modules``) on it without demo data."""
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run(
        odoo_command(db, addons_path, data_dir, "-i", ",".join(modules), "--without-demo=all", "--stop-after-init"),
        check=True,
    )


def start_odoo(db, addons_path=None, data_dir=None):
    """Odoo configured in this process for ``db``: its registry."""
    import odoo

    options = ["-d", db, "--log-level=warn"]
    options += [f"--addons-path={addons_path}"] if addons_path else []
    options += [f"--data-dir={data_dir}"] if data_dir else []
    odoo.tools.config.parse_config(options)
    return odoo.modules.registry.Registry(db)


def environment(cr, uid=None):
    """An environment on ``cr``, as the superuser unless ``uid`` is given."""
    import odoo

    return odoo.api.Environment(cr, uid or odoo.SUPERUSER_ID, {})


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


def load_services(*names):
    """The addon's services modules ``names``, imported without Odoo (they do not touch the ORM)."""
    if "esign_services" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "esign_services", os.path.join(HERE, "..", "services", "__init__.py"), submodule_search_locations=[]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules["esign_services"] = package
        spec.loader.exec_module(package)
    return [importlib.import_module(f"esign_services.{name}") for name in names]
