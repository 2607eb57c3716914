# Kommunalmatch: `make run` installs and starts everything on embedded defaults; `make test` tests it all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi
# Each step prints one line "[n/8] …" and keeps its tool's output in .venv/*.log, shown on failure.
STEP := sh scripts/step.sh

.PHONY: run test install install-test assets translations messages migrate demo lint format browser pdf-libs bench clean screenshots

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 oder neuer wird benötigt." if sys.version_info < (3, 11) else 0)'
	@mkdir -p $(VENV)
	@$(STEP) "[1/8] Python-Umgebung anlegen ($(VENV))" $(VENV)/venv.log \
	  sh -c '$(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --upgrade pip'

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@$(STEP) "[2/8] Python-Pakete installieren (einige Minuten beim ersten Mal; Protokoll: $(VENV)/pip-install.log)" \
	  $(VENV)/pip-install.log $(BIN)/pip install -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	@$(STEP) "[+] Testpakete installieren (Protokoll: $(VENV)/pip-install-test.log)" \
	  $(VENV)/pip-install-test.log $(BIN)/pip install -e '.[test]'
	@touch $@

install: $(VENV)/.installed assets translations pdf-libs

# German is the source language; the English catalogue is compiled at install time.
translations: $(VENV)/.installed
	@$(STEP) "[4/8] Übersetzungen kompilieren" $(VENV)/translations.log $(BIN)/pybabel compile -d translations || true

# Developers: refresh the catalogue after changing texts, then translate translations/en/LC_MESSAGES/messages.po.
# Locations name the file only: a text moving down a template does not rewrite the catalogue.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --add-location=file -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l en --no-fuzzy-matching --ignore-obsolete

install-test: $(VENV)/.installed-test assets translations browser pdf-libs

# KERN UX, the graph library and axe-core from npm (exact versions, package-lock.json), copied into
# static/vendor so every asset is served by the platform itself.
static/vendor/.installed: package.json package-lock.json
	@mkdir -p $(VENV)
	@$(STEP) "[3/8] KERN UX und Grafikbibliothek installieren (npm)" $(VENV)/npm-install.log \
	  npm ci --no-audit --no-fund --loglevel=error
	@rm -rf static/vendor && mkdir -p static/vendor/kern static/vendor/cytoscape static/vendor/axe-core
	@cp -r node_modules/@kern-ux/native/dist/. static/vendor/kern/
	@cp node_modules/cytoscape/dist/cytoscape.min.js static/vendor/cytoscape/
	@cp node_modules/axe-core/axe.min.js static/vendor/axe-core/
	@touch $@

assets: static/vendor/.installed

# Browser tests drive the system Chromium (Debian's package); Playwright never downloads a browser.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = "0" ]; then $(STEP) "[+] Chromium für die Browsertests installieren (apt)" $(VENV)/apt-chromium.log \
	      sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'; \
	    else echo "Hinweis: Chromium fehlt (sudo apt-get install chromium); Browsertests werden übersprungen."; fi; }

# The Kooperationssteckbrief's PDF: WeasyPrint needs Pango (Debian's libpango-1.0-0, libpangoft2-1.0-0).
pdf-libs: $(VENV)/.installed
	@$(BIN)/python -c 'import weasyprint' >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = "0" ]; then $(STEP) "[5/8] Pango für den Steckbrief als PDF installieren (apt)" $(VENV)/apt-pango.log \
	      sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0'; \
	    else echo "Hinweis: Pango fehlt (sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0); der Steckbrief als PDF zeigt dann eine Fehlerseite."; fi; }

migrate: install
	@$(STEP) "[6/8] Datenbank einrichten" $(VENV)/migrate.log $(BIN)/flask --app wsgi db upgrade

demo: migrate
	@$(STEP) --show "[7/8] Demo-Region laden und Vorschläge berechnen" $(VENV)/demo.log $(BIN)/flask --app wsgi demo seed

# scripts/run.py: the Procfile's processes (honcho) with the web server's PORT for all of them (so
# BASE_URL follows PORT everywhere), the banner once /health answers, and exit 0 on Ctrl-C.
run: demo
	@echo "[8/8] Web, Worker und Beat starten …"
	@exec $(BIN)/python scripts/run.py --port $(PORT)

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
