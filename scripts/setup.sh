#!/usr/bin/env bash
# Installs the Debian 12 packages provportal needs that this machine lacks (root, or sudo).
# Usage: scripts/setup.sh          (scripts/setup.sh --list prints the package list and exits;
#                                  scripts/check_deps.py checks it covers what the project uses)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libexpected-dev
  libsqlite3-dev libyaml-dev libargon2-dev libvalijson-dev libpcre2-dev libmagic-dev libhpdf-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  clang-format python3 python3-pytest python3-yaml python3-aiohttp sqlite3 oathtool shellcheck poppler-utils openssl curl wrk time bsdextrautils
)

if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
