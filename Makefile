# Kommunalmatch: `make run` installs and starts everything on embedded defaults; `make test` tests it all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install install-test assets translations messages migrate demo lint format browser pdf-libs bench clean screenshots

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 oder neuer wird benötigt." if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed assets translations pdf-libs

# German is the source language; the English catalogue is compiled at install time.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations || true

# Developers: refresh the catalogue after changing texts, then translate translations/en/LC_MESSAGES/messages.po.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l en --no-fuzzy-matching --ignore-obsolete

install-test: $(VENV)/.installed-test assets translations browser pdf-libs

# KERN UX, the graph library and axe-core from npm (exact versions, package-lock.json), copied into
# static/vendor so every asset is served by the platform itself.
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/kern static/vendor/cytoscape static/vendor/axe-core
	cp -r node_modules/@kern-ux/native/dist/. static/vendor/kern/
	cp node_modules/cytoscape/dist/cytoscape.min.js static/vendor/cytoscape/
	cp node_modules/axe-core/axe.min.js static/vendor/axe-core/
	touch $@

assets: static/vendor/.installed

# Browser tests drive the system Chromium (Debian's package); Playwright never downloads a browser.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = "0" ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	    else echo "Hinweis: Chromium fehlt (sudo apt-get install chromium); Browsertests werden übersprungen."; fi; }

# The Kooperationssteckbrief's PDF: WeasyPrint needs Pango (Debian's libpango-1.0-0, libpangoft2-1.0-0).
pdf-libs: $(VENV)/.installed
	@$(BIN)/python -c 'import weasyprint' >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = "0" ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null); \
	    else echo "Hinweis: Pango fehlt (sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0); der Steckbrief als PDF zeigt dann eine Fehlerseite."; fi; }

migrate: install
	$(BIN)/flask --app wsgi db upgrade

demo: migrate
	$(BIN)/flask --app wsgi demo seed

run: demo
	@echo ""
	@echo "  Kommunalmatch läuft: http://127.0.0.1:$(PORT)/   (Strg-C beendet Web, Worker und Beat)"
	@echo ""
	PORT=$(PORT) $(BIN)/honcho start -f Procfile

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install-test lint
	$(BIN)/pytest $(PYTEST_ARGS)

# The README's pictures: the partner-flow browser tests write them to test-artifacts/screenshots/
# (ignored, so `make test` leaves the tree clean); this copies them to docs/img/ to be committed.
SCREENSHOTS := dashboard anfrage anfragen partnerschaft suche
screenshots: install-test
	rm -rf test-artifacts/screenshots
	$(BIN)/pytest -q -p no:cacheprovider tests/browser/test_partner_flow_browser.py
	for name in $(SCREENSHOTS); do cp test-artifacts/screenshots/$$name.png docs/img/$$name.png; done

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks.matching

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
