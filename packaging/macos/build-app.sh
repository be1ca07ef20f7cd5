#!/bin/sh
# Build dist/Corral.app and a zip of it on macOS (not run yet; docs/install.md). Needs Python 3.11
# with `pip install -e '.[ui,postgres,openjd,dist]'`. The app is neither signed nor notarized:
# Gatekeeper asks once (right click, Open).
set -eu
cd "$(dirname "$0")/../.."
pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/corral.spec
version=$(dist/Corral.app/Contents/MacOS/corral --version | cut -d' ' -f2)
ditto -c -k --keepParent dist/Corral.app "dist/corral-$version-macos-$(uname -m).zip"
