# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium
# GNU gettext's msgfmt compiles the French catalogue (and checks it, in the tests).
MSGFMT ?= /usr/bin/msgfmt
CATALOGUES := locale/fr/LC_MESSAGES/django.mo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# `make run` is for a person trying photosearch on their machine: DEBUG on, plain HTTP on
# localhost. Production runs with DEBUG off (docker-compose.yml).
WEB_PORT ?= 8000

# Python compiles a module once and keeps the result beside it: where the environment says not to
# (PYTHONDONTWRITEBYTECODE, as on some CI machines), every process compiled torch, transformers and Django
# again at each start, a test process or a worker 10 s each. Not these commands'.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint format migrate admin stop-embedded bench-deps messages screenshots

run: $(VENV)/.installed $(CATALOGUES)
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py ensure_admin --url http://127.0.0.1:$(WEB_PORT)/admin/
	@# A first run gets the demo profile, so there is something to search at once (see the README).
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo --if-empty
	@# Fetches the models not on this machine yet (with a progress bar); offline, says how and goes on.
	DEBUG=$${DEBUG:-1} $(PY) manage.py download_models --if-missing
	@echo "photosearch: http://127.0.0.1:$(WEB_PORT)/ (Ctrl-C stops the web server, the workers and beat)"
	DEBUG=$${DEBUG:-1} WEB_PORT=$(WEB_PORT) exec $(VENV)/bin/honcho --procfile Procfile start

test: $(VENV)/.installed-dev $(CHROMIUM) $(CATALOGUES)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache
	CHROMIUM=$(CHROMIUM) $(VENV)/bin/pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

stop-embedded: $(VENV)/.installed
	$(PY) manage.py embedded stop

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "photosearch needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
		{ echo "Could not create $(VENV): on Debian/Ubuntu, install python3-venv (sudo apt-get install -y python3-venv)."; exit 1; }
	$(VENV)/bin/pip install --quiet --upgrade pip

# --no-compile: Python compiles each module the first time it is imported, and keeps it. Compiling
# every module of torch and transformers at install time, most never imported, took 35 of the
# install's 59 s. Keeping it needs Python allowed to write its .pyc files (see `unexport` above).
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --no-compile -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --no-compile -r requirements-dev.txt
	touch $(VENV)/.installed $@

# The OCR benchmarks paint words in TrueType fonts, and bench/ocr_engines.py measures Tesseract beside RapidOCR.
bench-deps: $(VENV)/.installed
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra fonts-dejavu-core fonts-liberation

# The README's pictures (docs/screenshots/*.png): Chromium over the demo, indexed with the small text model.
screenshots: $(VENV)/.installed-dev $(CHROMIUM) $(CATALOGUES)
	CHROMIUM=$(CHROMIUM) $(VENV)/bin/pytest -q -p no:cacheprovider docs/screenshots/take.py

# The pages in French: the catalogue is compiled here and in the image, never committed compiled.
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | $(MSGFMT)
	$(MSGFMT) --check -o $@ $<

# After changing a marked string: the catalogue gets the new ones (then translate them; make test checks).
messages: $(VENV)/.installed $(MSGFMT)
	$(PY) manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=.data --ignore=bench --ignore='*/tests/*' --ignore=docs

$(MSGFMT):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq gettext

# The browser tests drive Debian's Chromium; Playwright's own browser download is never used.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium
