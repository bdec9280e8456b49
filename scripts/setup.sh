#!/usr/bin/env bash
# Installs the Debian 12 packages provportal needs that this machine lacks (root, or sudo), then
# the pinned npm tools into .tools/node_modules (git-ignored): node-x12, the outside X12 checker
# of scripts/x12_check.js.
# Usage: scripts/setup.sh          (scripts/setup.sh --list prints the package list and exits;
#                                  scripts/check_deps.py checks it covers what the project uses)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libexpected-dev
  libsqlite3-dev libyaml-dev libargon2-dev libvalijson-dev libpcre2-dev libmagic-dev libhpdf-dev
  libpugixml-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  clang-format python3 python3-pytest python3-pytest-xdist python3-yaml python3-aiohttp sqlite3 oathtool shellcheck poppler-utils openssl curl wrk time bsdextrautils
  man-db groff-base
  systemd
  nodejs
)
node_x12_version=1.7.1

install_npm_tools() {
  local tools
  tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
  if [[ $(node -e "try{console.log(require('$tools/node_modules/node-x12/package.json').version)}catch(e){}" 2>/dev/null) == "$node_x12_version" ]]; then
    echo "setup: node-x12 $node_x12_version is installed in .tools"
    return
  fi
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund "node-x12@$node_x12_version"
}

if [[ ${1:-} == --list ]]; then
  # npm too: Debian's npm package is installed when npm is missing (see below).
  printf '%s\n' "${packages[@]}" npm
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# NodeSource's nodejs bundles npm and conflicts with Debian's npm package: ask only when absent.
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages are installed"
  install_npm_tools
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
install_npm_tools
