# Where an installed Corral's files go, defined once for the .deb (build-deb) and the tar.gz's
# install.sh: `stage ROOT BUNDLE SHARE GUIDE` copies the one-dir binary BUNDLE (dist/corral),
# the files of SHARE (this folder) and the install guide GUIDE (docs/install.md) under ROOT ("/"
# to install). Sourced, POSIX sh.

stage() {
    root=$1 bundle=$2 share=$3 guide=$4
    install -d "$root/opt/corral" "$root/usr/bin" "$root/lib/systemd/system" \
        "$root/usr/share/applications" "$root/etc/xdg/autostart" "$root/etc/corral" \
        "$root/usr/share/icons/hicolor/scalable/apps" "$root/usr/share/doc/corral" \
        "$root/usr/lib/corral"
    rm -rf "$root/opt/corral/_internal"  # an older version's libraries
    cp -a "$bundle/." "$root/opt/corral/"
    ln -sfn /opt/corral/corral "$root/usr/bin/corral"
    install -m 0644 "$share/corral-server.service" "$share/corral-render.service" \
        "$root/lib/systemd/system/"
    install -m 0644 "$share/corral-monitor.desktop" "$root/usr/share/applications/"
    install -m 0644 "$share/corral-tray.desktop" "$root/etc/xdg/autostart/"
    install -m 0644 "$share/corral.svg" "$root/usr/share/icons/hicolor/scalable/apps/"
    install -m 0644 "$guide" "$root/usr/share/doc/corral/"
    install -m 0755 "$share/host-setup.sh" "$root/usr/lib/corral/host-setup"
}
