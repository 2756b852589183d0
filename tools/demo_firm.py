"""Run by `make run` through `odoo shell`: the demo database's firm before and after the install.

Before the addon is installed (ESIGN_STEP=firm): the company is a French firm in euros, so that
installing `account` loads the French chart of accounts (l10n_fr_account) and the admin works in
French. Every run (ESIGN_STEP=url): the links e-mailed to signers point to the port Odoo serves on.
"""

import os

step = os.environ.get("ESIGN_STEP", "url")
if step == "firm":
    euro = env.ref("base.EUR")  # noqa: F821 (odoo shell's env)
    euro.active = True
    company = env.ref("base.main_company")  # noqa: F821
    company.write(
        {
            "name": "Cabinet Durand & Associés",
            "country_id": env.ref("base.fr").id,  # noqa: F821
            "currency_id": euro.id,
        }
    )
    company.partner_id.write({"lang": "fr_FR", "tz": "Europe/Paris"})
    env.ref("base.user_admin").write({"lang": "fr_FR", "tz": "Europe/Paris"})  # noqa: F821
else:
    base_url = f"http://localhost:{os.environ['HTTP_PORT']}"
    env["ir.config_parameter"].set_param("web.base.url", base_url)  # noqa: F821
env.cr.commit()  # noqa: F821
