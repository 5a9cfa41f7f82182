# Jamaa: `make demo` runs the platform with demo data, `make test` runs the test suite on SQLite and PostgreSQL.
# The work is done by the scripts in scripts/ (they install what is missing: system packages, .venv, dependencies).

.DEFAULT_GOAL := help
.PHONY: help demo test lint messages totp clean-demo venv bench bench-documents bench-complaints

PYTHON := .venv/bin/python
# Each recipe line runs in bash with the shared helpers loaded.
WITH_LIB := bash -c 'set -euo pipefail; . scripts/lib.sh; "$$@"' lib

help:
	@echo "make demo        install what is missing, load the demo data and serve on http://sale.localhost:8000"
	@echo "make test        the whole test suite on SQLite, then on the local PostgreSQL"
	@echo "make lint        ruff check"
	@echo "make messages    update the translation catalogues (ar, fr, zgh) from the source strings"
	@echo "make totp USER=… current TOTP code of a demo staff account (e.g. USER=admin@sale.example.ma)"
	@echo "make clean-demo  delete the demo database and files under var/ (keeps .venv)"
	@echo "make bench       load 100,000 cases into var/bench/ (first time) and measure the list pages (bench/README.md)"
	@echo "make bench-documents  time act issuance and measure verification against a bare view (bench/README.md)"
	@echo "make bench-complaints  anonymous report filing and the public map's data (200,000 reports) against a bare view"

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

venv:
	@$(WITH_LIB) ensure_venv

lint: venv
	$(PYTHON) -m ruff check .

messages: venv
	@$(WITH_LIB) ensure_system_packages gettext
	mkdir -p jamaa/locale
	# From inside jamaa/ (so the catalogues land in jamaa/locale), skipping what the translation test skips.
	cd jamaa && JAMAA_ENV=development ../$(PYTHON) ../manage.py makemessages -l ar -l fr -l zgh \
		--ignore 'tests/*' --ignore '*/tests/*' --ignore '*/migrations/*' --ignore '*/static/*' --no-obsolete

# USER is also the login name in the environment: only a USER given on the command line counts.
totp: venv
	@if [ "$(origin USER)" != "command line" ]; then \
		echo "Usage: make totp USER=<username of a demo staff account, e.g. admin@sale.example.ma>"; exit 2; fi
	@JAMAA_ENV=development $(PYTHON) manage.py totp_code "$(USER)"

# Not part of `make test`. BENCH_ARGS go to bench/run.py, e.g. BENCH_ARGS="--requests 500 --concurrency 8".
bench: venv
	@$(WITH_LIB) compile_messages
	$(PYTHON) bench/run.py $(BENCH_ARGS)

# Not part of `make test`: issuance time per act and verification throughput against a bare view.
bench-documents: venv
	@$(WITH_LIB) compile_messages
	$(PYTHON) bench/documents.py $(BENCH_ARGS)

# Not part of `make test`: anonymous filing and the map's data endpoint with 200,000 reports, against a bare view.
bench-complaints: venv
	@$(WITH_LIB) compile_messages
	$(PYTHON) bench/complaints.py $(BENCH_ARGS)

clean-demo:
	rm -f var/jamaa.sqlite3 var/jamaa.sqlite3-wal var/jamaa.sqlite3-shm
	rm -rf var/media var/static
	@echo "Demo database and files removed; the next 'make demo' starts afresh."
