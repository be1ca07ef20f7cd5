#!/bin/sh
# Install Corral from this unpacked tar.gz: sudo ./install.sh
# The program goes to /opt/corral (corral on the PATH as /usr/bin/corral), the systemd units,
# desktop entry and tray autostart beside it; the user corral and /var/lib/corral are made.
# Nothing is started: see install.md for `systemctl enable --now corral-server` and the render.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run it as root (sudo $0)" >&2
    exit 1
fi
. "$here/share/stage.sh"
stage / "$here/corral" "$here/share" "$here/share/install.md"
/usr/lib/corral/host-setup
echo "Corral $(/usr/bin/corral --version | cut -d' ' -f2) installed in /opt/corral."
