# Two commands matter: `make run` (a farm on this machine) and `make test`; `make docs` builds the
# documentation site. All share .venv; each extra set has its own stamp, so any may come first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench docs clean media-tools browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What a farm needs: server, render, command line, monitor and tray.
$(VENV)/.installed-run: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[ui]'
	touch $@

# The farm's packages, PostgreSQL, bpy and the test tools.
$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# MkDocs and its Material theme: the documentation site.
$(VENV)/.installed-docs: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $@

# ffmpeg and ImageMagick: movie blocks and thumbnails in the tests (Debian/Ubuntu, as root).
media-tools:
	@if command -v ffmpeg >/dev/null && command -v convert >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends ffmpeg imagemagick >/dev/null; \
	else echo "note: without ffmpeg and ImageMagick the media tests are skipped"; fi

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; it never
# downloads a browser). Without it those tests are skipped.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "note: without /usr/bin/chromium the browser tests are skipped"; fi

run: $(VENV)/.installed-run
	$(BIN)/corral up

test: $(VENV)/.installed-test media-tools browser
	$(BIN)/ruff check app tests bench dcc_plugins docs/hooks
	$(BIN)/ruff format --check app tests bench dcc_plugins docs/hooks
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix app tests bench dcc_plugins docs/hooks
	$(BIN)/ruff format app tests bench dcc_plugins docs/hooks

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run_all

# The documentation site into site/ (mkdocs.yml; its references are written from the code).
docs: $(VENV)/.installed-docs
	$(BIN)/python -m mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache build site *.egg-info
