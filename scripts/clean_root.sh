#!/usr/bin/env bash
# Runs the README's two commands (scripts/demo.sh, then scripts/test.sh) in a clean Debian 12
# root: `debootstrap --variant=minbase bookworm`, the machine's /etc/hosts and resolver, and a
# fresh clone of this repository's HEAD (what CI sees: committed work only). Run it before
# resolving an issue that adds a dependency: a package the scripts use but scripts/setup.sh does
# not install fails here, as it would on a user's new machine.
# Usage: scripts/clean_root.sh [--bootstrap-only] [--quick] [-- COMMAND...]
#   --bootstrap-only  make the pristine root and stop (it is kept and copied for each run)
#   --quick           run scripts/test.sh with PROVPORTAL_QUICK=1 (no sanitizer or fuzz stage)
#   -- COMMAND...     run COMMAND in the clone instead of the README's two commands
# Environment: PROVPORTAL_CLEAN_ROOT (default /var/tmp/provportal-clean-root), DEBIAN_MIRROR.
# Needs root (debootstrap, mount, chroot); installs debootstrap when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

bootstrap_only=0
quick=0
command=(bash -c 'scripts/demo.sh && scripts/test.sh')
while (($#)); do
  case $1 in
    --bootstrap-only) bootstrap_only=1 ;;
    --quick) quick=1 ;;
    --) shift; command=("$@"); break ;;
    *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "clean_root: run as root (debootstrap, mount and chroot need it)" >&2; exit 2; }

base=${PROVPORTAL_CLEAN_ROOT:-/var/tmp/provportal-clean-root}
pristine=$base/pristine
root=$base/run
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [[ ! -f $pristine/.bootstrapped ]]; then
  command -v debootstrap >/dev/null || {
    echo "clean_root: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  }
  rm -rf "$pristine"
  mkdir -p "$pristine"
  echo "clean_root: debootstrap --variant=minbase bookworm $pristine"
  debootstrap --variant=minbase bookworm "$pristine" "$mirror" >"$base/debootstrap.log" 2>&1 || {
    tail -20 "$base/debootstrap.log" >&2
    exit 1
  }
  # The same suites as a stock Debian 12 install: the release, its updates and security.
  rm -f "$pristine/etc/apt/sources.list"
  cat >"$pristine/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  touch "$pristine/.bootstrapped"
fi
((bootstrap_only)) && { echo "clean_root: pristine root ready in $pristine"; exit 0; }

mounts=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "clean_root: a fresh copy of the pristine root in $root"
rm -rf "$root"
cp -a "$pristine" "$root"
cp /etc/hosts "$root/etc/hosts"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's trusted certificates, as its network needs them (a network that inspects TLS has
# its own authority there): added to Debian's list when setup.sh installs ca-certificates.
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/ca-certificates/machine-trust.crt"
fi
for m in proc sys dev dev/pts; do
  mkdir -p "$root/$m"
  case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    *) mount --bind "/$m" "$root/$m" ;;
  esac
  mounts+=("$root/$m")
done
mkdir -p "$root/dev/shm"
mount -t tmpfs shm "$root/dev/shm"
mounts+=("$root/dev/shm")

# A clone, not a copy: the root sees committed work only, as CI does. git is not in a minbase
# root (setup.sh installs it there later), so the clone is made from outside.
git clone -q --no-local "$repo" "$root/work/provportal"
git -C "$root/work/provportal" log -1 --format='clean_root: testing %h %s'

env_vars=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
          TERM=dumb)
((quick)) && env_vars+=(PROVPORTAL_QUICK=1)
# The machine's network settings the root cannot read from a file: proxies, and where Node (npm)
# and OpenSSL find the certificates above.
for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY NODE_EXTRA_CA_CERTS \
           SSL_CERT_FILE; do
  [[ -n ${!var:-} ]] && env_vars+=("$var=${!var}")
done
start=$(date +%s)
status=0
chroot "$root" /usr/bin/env -i "${env_vars[@]}" bash -c 'cd /work/provportal && exec "$@"' \
  clean_root "${command[@]}" || status=$?
echo "clean_root: exit status $status after $(($(date +%s) - start)) s (root kept in $root)"
exit "$status"
