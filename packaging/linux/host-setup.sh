#!/bin/sh
# After Corral's files are in place (the .deb's postinst, install.sh): the system user corral
# that runs the services, its data folder /var/lib/corral, the configuration folder /etc/corral
# (with a first server.toml), and systemd told about the units. Safe to run again.
set -e
if ! getent passwd corral >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/corral --no-create-home \
        --shell /usr/sbin/nologin --comment "Corral render farm" corral
fi
install -d -o corral -g corral -m 0750 /var/lib/corral
install -d -m 0755 /etc/corral
# The server's settings (corral setup server --config-dir /etc/corral rewrites it); kept if there
if [ ! -e /etc/corral/server.toml ]; then
    printf 'host = "0.0.0.0"\ndata = "/var/lib/corral"\n' >/etc/corral/server.toml
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
