# engagement_letter_esign: the two commands of README.md, plus helpers.
#   make run   install what the addon needs, create/update the demo database, start Odoo
#   make test  fresh database, addon installed, every test run through pytest-odoo
#
# Odoo names a module after its folder: the checkout is linked as
# $(BUILD)/addons/engagement_letter_esign whatever the clone's folder is called.

ADDON      := engagement_letter_esign
SRC        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# The Python that runs Odoo: one that already imports odoo is used as it is; otherwise the
# project's own virtual environment, made by tools/setup_env.sh from ODOO_SRC (an Odoo 18.0
# source folder or tarball; by default Odoo's official 18.0 source archive). It lives outside the
# checkout: Odoo reads every file of an addon's folder (translations export, data), libraries too.
VENV       ?= $(HOME)/.cache/$(ADDON)/venv
ODOO_SRC   ?=
PYTHON     ?= $(shell if python3 -c "import odoo" 2>/dev/null; then echo python3; else echo $(VENV)/bin/python; fi)
SRC_ID     := $(shell printf '%s' "$(SRC)" | md5sum | cut -c1-8)
BUILD      ?= /tmp/esign-build-$(SRC_ID)
DEMO_DB    ?= esign_demo
TEST_DB    ?= esign_test_$(SRC_ID)
HTTP_PORT  ?= 8069
# Port of the Odoo server that HttpCase tests and tours start (one per concurrent run).
TEST_HTTP_PORT ?= 8069
# Odoo's own addons folders, found from the importable odoo package.
ODOO_ADDONS = $(shell $(PYTHON) -c "import odoo, os; r = os.path.dirname(os.path.dirname(odoo.__file__)); print(','.join(p for p in (os.path.join(r, 'addons'), os.path.join(os.path.dirname(odoo.__file__), 'addons')) if os.path.isdir(p)))" 2>/dev/null)
ADDONS_PATH = $(ODOO_ADDONS),$(BUILD)/addons
ODOO       = $(PYTHON) -m odoo --addons-path=$(ADDONS_PATH) --data-dir=$(BUILD)/data
ODOO_SHELL = $(PYTHON) -m odoo shell --addons-path=$(ADDONS_PATH) --data-dir=$(BUILD)/data
PYTEST_ARGS ?=

.PHONY: run test test-odoo deps env link check-odoo lint pot bench-crons bench-portal bench-parapheur bench-vs-sign-oca

env:
	@$(PYTHON) -c "import odoo" 2>/dev/null || BASE_PYTHON=python3 $(SRC)/tools/setup_env.sh $(VENV) $(ODOO_SRC)
	@$(SRC)/tools/system_packages.sh

check-odoo: env
	@$(PYTHON) -c "import odoo" 2>/dev/null || { echo "Odoo 18.0 is not importable by $(PYTHON) (see README.md)."; exit 1; }

link: check-odoo
	@mkdir -p $(BUILD)/addons $(BUILD)/data
	@ln -sfn $(SRC) $(BUILD)/addons/$(ADDON)

deps: check-odoo
	@$(PYTHON) -m pip install -q -r $(SRC)/requirements.txt -r $(SRC)/requirements-dev.txt

run: deps link
	@if psql -lqt | cut -d'|' -f1 | grep -qw $(DEMO_DB); then \
		$(ODOO) -d $(DEMO_DB) -u $(ADDON) --stop-after-init --log-level=warn; \
	else \
		$(ODOO) -d $(DEMO_DB) -i base --load-language=fr_FR --stop-after-init --log-level=warn && \
		ESIGN_STEP=firm $(ODOO_SHELL) -d $(DEMO_DB) --no-http --log-level=warn < $(SRC)/tools/demo_firm.py && \
		$(ODOO) -d $(DEMO_DB) -i $(ADDON),l10n_fr_account --stop-after-init --log-level=warn; \
	fi
	@HTTP_PORT=$(HTTP_PORT) $(ODOO_SHELL) -d $(DEMO_DB) --no-http --log-level=warn < $(SRC)/tools/demo_firm.py
	@echo "Odoo on http://localhost:$(HTTP_PORT) (admin / admin), database $(DEMO_DB)"
	$(ODOO) -d $(DEMO_DB) --db-filter='^$(DEMO_DB)$$' --http-port=$(HTTP_PORT)

test: deps link
	@dropdb --if-exists $(TEST_DB)
	$(ODOO) -d $(TEST_DB) -i $(ADDON) --without-demo=all --stop-after-init --log-level=warn
	cd $(BUILD) && PYTHONPATH=$(SRC)/tests $(PYTHON) -m pytest -p no:cacheprovider -p pytest_no_skip -rfEs \
		--odoo-database=$(TEST_DB) --odoo-addons-path=$(ADDONS_PATH) --odoo-http \
		--odoo-extra data-dir=$(BUILD)/data --odoo-extra db-filter=^$(TEST_DB)$$ \
		--odoo-extra http-port=$(TEST_HTTP_PORT) \
		$(PYTEST_ARGS) addons/$(ADDON)/tests

# The same suite through Odoo's own runner (odoo-bin --test-enable), as OCA's CI runs it: it finds
# the tests through tests/__init__.py. A skipped test fails the run here too.
test-odoo: deps link
	@dropdb --if-exists $(TEST_DB)_odoo
	$(ODOO) -d $(TEST_DB)_odoo -i $(ADDON) --without-demo=all --test-enable --test-tags=/$(ADDON) \
		--stop-after-init --http-port=$(TEST_HTTP_PORT) --db-filter='^$(TEST_DB)_odoo$$' --log-level=info \
		> $(BUILD)/test-odoo.log 2>&1; rc=$$?; \
		grep -E " (ERROR|FAIL): " $(BUILD)/test-odoo.log | head -50; \
		grep -E "tests when loading database|post-tests in" $(BUILD)/test-odoo.log; \
		if grep -q " skipped " $(BUILD)/test-odoo.log; then echo "A test was skipped: see $(BUILD)/test-odoo.log"; exit 1; fi; \
		[ $$rc -eq 0 ] || { echo "odoo-bin --test-enable failed ($$rc): see $(BUILD)/test-odoo.log"; exit 1; }

lint: deps
	cd $(SRC) && $(PYTHON) -m ruff check . && $(PYTHON) -m ruff format --check . && \
		$(PYTHON) -m pylint --rcfile=.pylintrc --load-plugins=pylint_odoo $(SRC)

pot: link
	$(ODOO) -d $(TEST_DB) --i18n-export=$(SRC)/i18n/$(ADDON).pot --modules=$(ADDON) --stop-after-init --log-level=warn

bench-crons: link
	$(PYTHON) $(SRC)/bench/bench_crons.py --db esign_bench --addons-path=$(ADDONS_PATH) --data-dir=$(BUILD)/data

bench-portal: link
	$(PYTHON) $(SRC)/bench/bench_portal.py --db esign_bench_portal --addons-path=$(ADDONS_PATH) --data-dir=$(BUILD)/data

bench-parapheur: link
	$(PYTHON) $(SRC)/bench/bench_parapheur.py --db esign_bench_parapheur --addons-path=$(ADDONS_PATH) --data-dir=$(BUILD)/data

bench-vs-sign-oca: link
	$(PYTHON) $(SRC)/bench/bench_vs_sign_oca.py --db esign_bench_vs_oca --addons-path=$(ADDONS_PATH) \
		--data-dir=$(BUILD)/data --build-dir=$(BUILD)/sign_oca
