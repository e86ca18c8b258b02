#!/usr/bin/env bash
# Shared helpers for the hack/ scripts. Source it, don't run it.

GR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GR_CACHE=${GR_CACHE:-$HOME/.cache/graceful-rollout}
# shellcheck disable=SC2034 # used by the scripts that source this file
GR_BIN=$GR_CACHE/bin
GR_APISERVER_DIR=${GR_APISERVER_DIR:-/tmp/graceful-rollout-apiserver}
GR_CRDS_DIR=${GR_CRDS_DIR:-$GR_ROOT/testdata/crds}
export GR_CACHE GR_APISERVER_DIR GR_CRDS_DIR

# Debian's python3 carries python3-yaml (hack/dry-run.sh needs it); prefer it
# over any other python3 on PATH. Installed when missing.
GR_PYTHON=/usr/bin/python3
if ! "$GR_PYTHON" -c 'import yaml' 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-yaml >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-yaml >/dev/null 2>&1; } || true
fi

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_ports N: print N distinct free TCP ports on 127.0.0.1.
free_ports() {
  "$GR_PYTHON" - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# retry SECONDS CMD...: run CMD once a second until it succeeds or SECONDS pass.
retry() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}
