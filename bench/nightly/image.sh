#!/usr/bin/env bash
# bench/nightly/image.sh [ROOTFS]: the debian:trixie image that ci/nightly.yml's jobs run in,
# built from Debian's packages with debootstrap (no image registry is reachable here) and
# imported into the local Docker engine. Two additions a GitHub runner does not need:
# - nodejs: GitHub's runner mounts its own Node into a job container for the JavaScript actions;
#   the local runner (act) runs them with the container's `node`.
# - the machine's own certificate authorities (/usr/local/share/ca-certificates): its egress
#   re-signs TLS, and pip inside the jobs must trust that.
# - the machine's apt settings on the validity of Release files: its Debian mirror serves sid's
#   as of a date past their Valid-Until, which the host's apt is told to accept.
# ROOTFS: an existing debootstrap tree to reuse (default: a new one, about 5 minutes).
set -euo pipefail
root="${1:-}"
if [ -z "$root" ]; then
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include=ca-certificates,nodejs trixie "$root" \
    "${FTSAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
fi
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
for f in /etc/apt/apt.conf.d/*; do
  if grep -q "Check-Valid-Until" "$f"; then
    cp "$f" "$root/etc/apt/apt.conf.d/"
  fi
done
tar -C "$root" -c . | docker import - debian:trixie
