#!/usr/bin/env bash
# Install what the rollout lab needs, from Debian when missing: containerd,
# runc, the CNI plugins, iptables, HAProxy (the load balancers' data plane),
# podman (FROM-scratch images), etcd, python3-matplotlib and python3-yaml
# (runner and plots). Idempotent; prints nothing when all is there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# command-or-file -> Debian package
declare -A need=(
  [/usr/bin/containerd]=containerd
  [/usr/sbin/runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [/usr/sbin/iptables]=iptables
  [/usr/sbin/nft]=nftables
  [/usr/sbin/haproxy]=haproxy
  [/usr/bin/podman]=podman
  [/usr/bin/etcd]=etcd-server
  [/usr/sbin/conntrack]=conntrack
)
missing=()
for f in "${!need[@]}"; do [[ -e $f ]] || missing+=("${need[$f]}"); done
/usr/bin/python3 -c 'import matplotlib, yaml' 2>/dev/null || missing+=(python3-matplotlib python3-yaml)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi

