# VAE Lessons. After cloning, two commands (see README.md):
#   make book   installs what it needs and builds the HTML book into _build/html
#   make test   installs what it needs and runs every test (ruff, package, nbval, parity, browser)
# Installing is idempotent: stamp files make a second run skip it.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.vae-lessons-installed
NODE_MODULES := .ci/node_modules
VENDOR := book/_static/vendor
JS_STAMP := $(VENDOR)/.installed
# book/_student/<lang>: the released exercise notebooks (make students)
STUDENT := _student
HTML_MANAGER := $(NODE_MODULES)/@jupyter-widgets/html-manager/dist

# A failing notebook, a broken cross-reference or a missing citation fails the build. --all reads
# every page again (executed outputs still come from the jupyter-cache): Sphinx's saved environment
# can otherwise keep a label that moved between pages, and a stale build would fail or pass wrongly.
JB_FLAGS := -W -n --keep-going --all

# Real data for an offline build: ../shared/data when it exists (an explicit setting wins).
ifneq ($(wildcard ../shared/data),)
export VAE_LESSONS_DATA ?= $(abspath ../shared/data)
endif

.PHONY: book test test-offline install lint times sync-code execute students clean

book: install
	$(BIN)/jupyter-book build . $(JB_FLAGS)

# One pytest run: the package, parity and browser tests (tests/) and nbval over every notebook
# (book/; --dist loadfile keeps a notebook's cells on one worker). Any failure, and pytest's
# exit status 5 (no test collected), fails `make test`. Two workers share the two cores, so each
# (and each notebook kernel it starts) computes on one thread instead of oversubscribing them.
test: install lint
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --nbval-current-env \
	  --ignore=book/$(STUDENT) tests book

# CI's second pass: the notebooks that load data, executed with every download forbidden, no data
# folder and an empty user cache (MNIST falls back to the 8×8 digits; Frey Face sections say why
# they are skipped). nbval compares their checked cells with the outputs saved with the data.
DATA_NOTEBOOKS = $(shell grep -l -E 'book_data|frey_face|binarized_mnist|data\.mnist' book/*/*.ipynb)
test-offline: install
	cache=$$(mktemp -d) && env -u VAE_LESSONS_DATA VAE_LESSONS_OFFLINE=1 XDG_CACHE_HOME=$$cache \
	  OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax \
	  --nbval-current-env $(DATA_NOTEBOOKS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Each notebook's execution time on this machine (a chapter must stay within 90 s on 2 cores).
times: install
	$(BIN)/python .ci/notebook_times.py --limit 90 --strict

# Maintaining the two editions (see .ci/notebooks.py): change a chapter's code in one edition,
# carry it to the other and re-execute both; or re-execute the notebooks named in NB.
FROM ?= ko
CHAPTERS ?=
sync-code: install
	$(BIN)/python .ci/notebooks.py sync $(FROM) $(CHAPTERS) --execute

execute: install
	$(BIN)/python .ci/notebooks.py execute $(NB)

# Part IV: the student versions of the exercise notebooks (solutions cleared), which the book's
# Colab buttons open. Run after changing an exercise; tests/test_exercises.py checks they are current.
students: install
	for lang in ko en; do \
	  $(BIN)/python -m vae_lessons.exercises release book/$$lang/ex*.ipynb --out book/$(STUDENT)/$$lang; \
	done

install: $(PY_STAMP) $(JS_STAMP)

# The Python environment: pinned requirements plus this package (editable).
$(PY_STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

# The pinned JavaScript the pages load (MathJax 3, ipywidgets HTML manager, require.js),
# served from the book itself: nothing comes from a CDN.
$(NODE_MODULES)/.package-lock.json: .ci/package.json .ci/package-lock.json
	npm ci --prefix .ci --ignore-scripts --no-audit --no-fund

$(JS_STAMP): $(NODE_MODULES)/.package-lock.json
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/html-manager
	cp -R $(NODE_MODULES)/mathjax/es5 $(VENDOR)/mathjax
	rm $(VENDOR)/mathjax/latest.js  # loads MathJax from a CDN
	cp $(NODE_MODULES)/mathjax/LICENSE $(VENDOR)/mathjax/
	cp $(HTML_MANAGER)/embed-amd.js $(HTML_MANAGER)/embed.js.LICENSE.txt $(VENDOR)/html-manager/
	cp $(HTML_MANAGER)/*.{woff,woff2,ttf,eot,svg} $(VENDOR)/html-manager/
	cp $(NODE_MODULES)/requirejs/require.js $(VENDOR)/
	touch $@

clean:
	rm -rf _build $(VENDOR) $(NODE_MODULES)
