#!/bin/sh
# Installs panos-upgrade on a systemd host from a build tree, as deploy/README.md describes:
# the binaries, the unit, sysusers.d and tmpfiles.d, the example configuration (never over an
# existing one), the docs; then creates the user, the group and the state directory layout.
#
#   cargo build --release -p panosd -p panosctl
#   sudo deploy/install.sh [--bindir DIR] [--destdir DIR]
#
# --bindir   where panosd and panosctl are (default: target/release)
# --destdir  install under DIR instead of / (packaging, tests): users and directories are made
#            in DIR's /etc/passwd and tree, and nothing is reloaded or started.
#
# Run it again after a build to upgrade the binaries: it keeps config.json and
# upgrade_paths.json as they are. It does not stop or start the daemon (see "Upgrading the
# daemon itself" in deploy/README.md).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
bindir=$top/target/release
destdir=

while [ $# -gt 0 ]; do
    case $1 in
        --bindir) bindir=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        *) echo "usage: $0 [--bindir DIR] [--destdir DIR]" >&2; exit 2 ;;
    esac
done

for binary in panosd panosctl; do
    if [ ! -x "$bindir/$binary" ]; then
        echo "$0: $bindir/$binary not found: run cargo build --release -p panosd -p panosctl" >&2
        exit 1
    fi
done

root=${destdir:-/}
state=$destdir/var/lib/panos-upgrade
etc=$destdir/etc/panos-upgrade
docs=$destdir/usr/share/doc/panos-upgrade

install -d "$destdir/usr/bin" "$destdir/etc/systemd/system" "$destdir/usr/lib/sysusers.d" \
    "$destdir/usr/lib/tmpfiles.d" "$docs"
install -m 0755 "$bindir/panosd" "$bindir/panosctl" "$destdir/usr/bin/"
install -m 0644 "$here/systemd/panosd.service" "$destdir/etc/systemd/system/"
install -m 0644 "$here/sysusers.d/panos-upgrade.conf" "$destdir/usr/lib/sysusers.d/"
install -m 0644 "$here/tmpfiles.d/panos-upgrade.conf" "$destdir/usr/lib/tmpfiles.d/"
install -m 0644 "$here/README.md" "$docs/README.md"
install -m 0644 "$top/docs/protocol.md" "$top/docs/architecture.md" "$docs/"

# The user and group, then the layout with its modes.
systemd-sysusers --root="$root" panos-upgrade.conf
systemd-tmpfiles --root="$root" --create panos-upgrade.conf
# Their numbers in the target's databases (under --destdir, the host's may differ).
uid=$(awk -F: '$1 == "panos-upgrade" { print $3 }' "$destdir/etc/passwd")
gid=$(awk -F: '$1 == "panos-upgrade" { print $3 }' "$destdir/etc/group")

# The configuration: only where there is none yet.
if [ ! -e "$etc/upgrade_paths.json" ]; then
    install -m 0644 "$here/config/upgrade_paths.json" "$etc/upgrade_paths.json"
    echo "installed $etc/upgrade_paths.json"
fi
if [ ! -e "$state/config/config.json" ]; then
    install -m 0640 -o "$uid" -g "$gid" "$here/config/config.json" "$state/config/config.json"
    echo "installed $state/config/config.json: set panorama.url before starting"
fi

if [ -z "$destdir" ]; then
    systemctl daemon-reload
    cat <<'EOF'
Next (deploy/README.md):
  sudo -u panos-upgrade panosctl config set panorama.url https://panorama.example.com
  sudo -u panos-upgrade panosctl config set panorama.tls_fingerprint_sha256 <SHA-256>   # or ca_file
  install -d -m 0700 /etc/credstore.encrypted
  systemd-ask-password -n "Panorama API key:" | systemd-creds encrypt --name=panorama-api-key - /etc/credstore.encrypted/panorama-api-key
  usermod -a -G panos-upgrade <the web application's user>
  systemctl enable --now panosd
EOF
fi
