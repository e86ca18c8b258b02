#!/usr/bin/env bash
# A throwaway etcd + kube-apiserver on loopback with the CRDs from
# $GR_CRDS_DIR installed, for server-side dry-run tests.
# Usage: hack/apiserver.sh start|stop|env
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=$GR_APISERVER_DIR
kubeconfig=$dir/kubeconfig

# running NAME: the process recorded in $dir/NAME.pid is alive and is NAME.
running() {
  local pid
  pid=$(cat "$dir/$1.pid" 2>/dev/null) && [[ $(ps -o comm= -p "$pid") == "$1" ]]
}

gone() { ! kill -0 "$1" 2>/dev/null; }

ensure_etcd() {
  command -v etcd >/dev/null && return
  log "installing etcd-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q etcd-server >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q etcd-server >/dev/null; }
}

ready() {
  running etcd || die "etcd exited: $(tail -n 5 "$dir/etcd.log")"
  running kube-apiserver || die "kube-apiserver exited: $(tail -n 5 "$dir/apiserver.log")"
  kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1
}

start() {
  if running kube-apiserver; then
    log "already running"
    return
  fi
  [[ -d $GR_CRDS_DIR ]] || die "no CRDs dir $GR_CRDS_DIR (set GR_CRDS_DIR)"
  stop # leftovers of an earlier run
  ensure_etcd
  local apiserver etcd_port peer_port api_port token
  apiserver=$("$GR_ROOT/hack/build-k8s.sh" kube-apiserver)
  trap 'log "start failed, tearing down"; stop' EXIT
  mkdir -p "$dir"
  chmod 700 "$dir"
  read -r etcd_port peer_port api_port < <(free_ports 3)

  etcd --name gr --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "gr=http://127.0.0.1:$peer_port" \
    </dev/null >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"

  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  token=$(openssl rand -hex 16)
  echo "$token,admin,admin,system:masters" >"$dir/tokens.csv"

  "$apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$dir/certs" \
    --token-auth-file "$dir/tokens.csv" --authorization-mode RBAC \
    --service-account-key-file "$dir/sa.pub" \
    --service-account-signing-key-file "$dir/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --disable-admission-plugins ServiceAccount \
    </dev/null >"$dir/apiserver.log" 2>&1 &
  echo $! >"$dir/kube-apiserver.pid"

  cat >"$kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: gr
  cluster: {server: "https://127.0.0.1:$api_port", insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: "$token"}
contexts:
- name: gr
  context: {cluster: gr, user: admin, namespace: default}
current-context: gr
YAML

  retry 120 ready || die "kube-apiserver not ready after 120s: $(tail -n 5 "$dir/apiserver.log")"
  log "kube-apiserver ready on 127.0.0.1:$api_port; installing CRDs from $GR_CRDS_DIR"
  export KUBECONFIG=$kubeconfig
  kubectl apply --server-side --field-manager graceful-rollout-test -f "$GR_CRDS_DIR" >/dev/null
  kubectl wait --for condition=Established --timeout 60s -f "$GR_CRDS_DIR" >/dev/null
  trap - EXIT
  log "ready: $(print_env)"
}

stop() {
  local name pid
  for name in kube-apiserver etcd; do
    running "$name" || continue
    pid=$(<"$dir/$name.pid")
    kill "$pid" 2>/dev/null || true
    retry 30 gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

print_env() { printf 'export KUBECONFIG=%q\n' "$kubeconfig"; }

case ${1:-} in
start | stop) "$1" ;;
env) print_env ;;
*) die "usage: $0 start|stop|env" ;;
esac
