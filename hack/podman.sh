#!/usr/bin/env bash
# Podman with the project's own configuration, for building and running the
# function's image in the tests. Installs Debian's podman and runc when
# missing, and writes a private containers.conf and storage.conf under
# $GR_CACHE/podman instead of touching /etc/containers:
#   [containers] default_ulimits = []   (the default nofile/nproc ulimits
#                                        cannot be set on these machines)
#   [engine] runtime = "runc", cgroup_manager = "cgroupfs"
#                                       (crun fails on hybrid cgroups)
# Usage: hack/podman.sh env     print the exports that make any podman
#                               (and kpt's podman runtime) use that config
#        hack/podman.sh ARGS... run podman ARGS with it
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=$GR_CACHE/podman

ensure_podman() {
  command -v podman >/dev/null && command -v runc >/dev/null && return
  log "installing podman and runc (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  local pkgs=(podman runc)
  apt-get install -y -q -o DPkg::Lock::Timeout=600 "${pkgs[@]}" >/dev/null ||
    { apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=600 "${pkgs[@]}" >/dev/null; }
}

write_config() {
  mkdir -p "$dir"
  local conf
  conf=$(
    cat <<CONF
# Written by hack/podman.sh: podman for the graceful-rollout tests.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  )
  [[ -f $dir/containers.conf && $(<"$dir/containers.conf") == "$conf" ]] || echo "$conf" >"$dir/containers.conf"
  conf=$(
    cat <<CONF
# Written by hack/podman.sh: images and containers of the tests.
[storage]
driver = "vfs"
graphroot = "$dir/storage"
runroot = "$dir/run"
CONF
  )
  [[ -f $dir/storage.conf && $(<"$dir/storage.conf") == "$conf" ]] || echo "$conf" >"$dir/storage.conf"
}

ensure_podman
write_config
export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf
case ${1:-} in
env) printf 'export CONTAINERS_CONF=%q CONTAINERS_STORAGE_CONF=%q\n' "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF" ;;
"") die "usage: $0 env | ARGS..." ;;
*) exec podman "$@" ;;
esac
