# Two commands matter: `make run` (a farm on this machine) and `make test`; `make docs` builds the
# documentation site. All share .venv; each extra set has its own stamp, so any may come first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench docs clean media-tools browser shells packaging-tools dist deb \
	tarball dist/corral dist/corral-onedir/corral

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

# zsh and fish: the completion scripts of `corral completion zsh|fish` loaded in the real shells.
shells:
	@if command -v zsh >/dev/null && command -v fish >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends zsh fish >/dev/null; \
	else echo "note: without zsh and fish their completion tests are skipped"; fi

# debootstrap, systemd-analyze and desktop-file-validate for the .deb test (a Debian root, the
# unit files and desktop entries checked), and
# the two X11 libraries the binary carries for Qt's xcb platform (Debian's libxcb-icccm4 and
# libxcb-keysyms1; without them the binary's monitor needs them on the host).
PACKAGING_LIBS := /usr/lib/$(shell uname -m)-linux-gnu/libxcb-icccm.so.4 \
	/usr/lib/$(shell uname -m)-linux-gnu/libxcb-keysyms.so.1
packaging-tools:
	@if command -v debootstrap >/dev/null && command -v systemd-analyze >/dev/null \
		&& command -v desktop-file-validate >/dev/null && ls $(PACKAGING_LIBS) >/dev/null 2>&1; \
	then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends debootstrap systemd desktop-file-utils libxcb-icccm4 \
			libxcb-keysyms1 >/dev/null; \
	else echo "note: without debootstrap and systemd-analyze the .deb test is skipped"; fi

# The corral binary (packaging/corral.spec): the one-file dist/corral (to try Corral out) and the
# one-folder dist/corral-onedir/ (what the .deb and the tar.gz carry: it starts at once).
# Both share one work folder: the second build reuses the first one's analysis.
PYINSTALLER := $(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist \
	--workpath build/pyinstaller packaging/corral.spec
dist: dist/corral dist/corral-onedir/corral

dist/corral: $(VENV)/.installed-test
	$(PYINSTALLER) -- --onefile

dist/corral-onedir/corral: $(VENV)/.installed-test
	$(PYINSTALLER)

deb: dist/corral-onedir/corral
	packaging/linux/build-deb dist/corral-onedir dist

tarball: dist/corral-onedir/corral
	packaging/linux/build-tarball dist/corral-onedir dist

run: $(VENV)/.installed-run
	$(BIN)/corral up

test: $(VENV)/.installed-test media-tools browser shells packaging-tools
	$(BIN)/ruff check app tests bench dcc_plugins docs/hooks
	$(BIN)/ruff format --check app tests bench dcc_plugins docs/hooks
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix app tests bench dcc_plugins docs/hooks
	$(BIN)/ruff format app tests bench dcc_plugins docs/hooks

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run_all

# The documentation site into site/ (mkdocs.yml; its references are written from the code, and
# the first build fetches Mermaid for the diagrams into .cache/mermaid/ with npm when it can).
docs: $(VENV)/.installed-docs
	$(BIN)/python -m mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache build dist .cache site *.egg-info
