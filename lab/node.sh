#!/usr/bin/env bash
# A single-node Kubernetes for the rollout lab: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, containerd + runc + CNI bridge,
# kubelet and kube-proxy (iptables mode), all on loopback and the lab's pod
# bridge. Every file lives under $LAB_DIR (default $GR_CACHE/lab); every
# process is started with a PID file there and stopped by that PID.
#
#   lab/node.sh up       start (tears down leftovers of an earlier run first)
#   lab/node.sh down     stop and undo every host change (safe to repeat)
#   lab/node.sh env      print the KUBECONFIG export
#   lab/node.sh state    print what of the lab is on the host (processes,
#                        mounts, links, netns, iptables chains)
#
# Workarounds this kind of VM needs (see lab/NOTES.md): root has no
# CAP_SYS_RESOURCE, so containerd clamps oom_score_adj
# (restrict_oom_score_adj); kubelet refuses a loopback node IP, so the node IP
# is the pod bridge's gateway address; cgroup v1 needs failCgroupV1: false;
# kubelet rewrites kernel sysctls, restored at teardown.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../hack/lib.sh"

L=${LAB_DIR:-$GR_CACHE/lab}
BRIDGE=${LAB_BRIDGE:-gr-lab0}
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
SVC_CIDR=10.0.0.0/24
NODE=lab-node
ETCD_PORT=12379 ETCD_PEER=12380 API_PORT=16443
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet"
K8S_BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
export KUBECONFIG=$L/etc/admin.kubeconfig

ts() { date -u +%T.%3N; }
say() { printf '%s [lab/node] %s\n' "$(ts)" "$*" >&2; }

# alive NAME: the PID in pids/NAME.pid runs and its command line names NAME's binary.
alive() {
  local pid
  pid=$(cat "$L/pids/$1.pid" 2>/dev/null) || return 1
  [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

start() { # NAME CMD...
  local n=$1; shift
  setsid "$@" </dev/null >"$L/logs/$n.log" 2>&1 &
  echo $! >"$L/pids/$n.pid"
  say "started $n (pid $!)"
}

waitfor() { # DESC SECONDS CMD...
  local d=$1 end=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || { say "timeout waiting for $d"; return 1; }
    sleep 0.2
  done
}

pki() {
  local p=$L/pki
  mkdir -p "$p"; chmod 700 "$p"
  (
    cd "$p"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=gr-lab-ca 2>/dev/null
    sign() { # NAME SUBJECT SAN EKU
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      { [[ -n $3 ]] && echo "subjectAltName=$3"; echo "extendedKeyUsage=$4"; echo "keyUsage=digitalSignature,keyEncipherment"; } >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 30 -extfile "$1.ext" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver /CN=kube-apiserver "IP:127.0.0.1,IP:10.0.0.1,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" serverAuth
    sign kubelet "/CN=$NODE" "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE" serverAuth
    sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "" clientAuth
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    tok() { openssl rand -hex 24; }
    {
      echo "$(tok),lab-admin,lab-admin,system:masters"
      echo "$(tok),system:node:$NODE,system:node:$NODE,system:nodes"
      echo "$(tok),system:kube-controller-manager,system:kube-controller-manager"
      echo "$(tok),system:kube-scheduler,system:kube-scheduler"
      echo "$(tok),system:kube-proxy,system:kube-proxy"
    } >tokens.csv
    chmod 600 tokens.csv ./*.key
  )
}

kubeconfig() { # FILE USER
  local token
  token=$(awk -F, -v u="$2" '$2 == u {print $1}' "$L/pki/tokens.csv")
  cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$L/pki/ca.crt"}
users:
- name: u
  user: {token: "$token"}
contexts:
- name: lab
  context: {cluster: lab, user: u}
current-context: lab
YAML
  chmod 600 "$1"
}

configs() {
  local e=$L/etc
  mkdir -p "$e/cni"
  kubeconfig "$e/admin.kubeconfig" lab-admin
  kubeconfig "$e/kubelet.kubeconfig" "system:node:$NODE"
  kubeconfig "$e/kcm.kubeconfig" system:kube-controller-manager
  kubeconfig "$e/scheduler.kubeconfig" system:kube-scheduler
  kubeconfig "$e/kube-proxy.kubeconfig" system:kube-proxy
  cat >"$e/containerd.toml" <<TOML
version = 2
root = "$L/run/containerd/root"
state = "$L/run/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$L/run/containerd/containerd.sock"
[ttrpc]
  address = "$L/run/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  enable_selinux = false
  # root lacks CAP_SYS_RESOURCE here: runc cannot lower oom_score_adj below
  # containerd's own, so clamp instead of failing every sandbox.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$e/cni"
    max_conf_num = 1
TOML
  cat >"$e/cni/10-gr-lab.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "gr-lab",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$L/run/cni-ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
JSON
  cat >"$e/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
containerRuntimeEndpoint: unix://$L/run/containerd/containerd.sock
tlsCertFile: $L/pki/kubelet.crt
tlsPrivateKeyFile: $L/pki/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $L/pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
podLogsDir: $L/run/pod-logs
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
volumePluginDir: $L/run/kubelet-plugins/volume/exec
maxPods: 60
YAML
  cat >"$e/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $e/kube-proxy.kubeconfig}
hostnameOverride: $NODE
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $POD_CIDR
iptables: {localhostNodePorts: false, syncPeriod: 30s, minSyncPeriod: 0s}
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
  cat >"$e/crictl.yaml" <<YAML
runtime-endpoint: unix://$L/run/containerd/containerd.sock
image-endpoint: unix://$L/run/containerd/containerd.sock
timeout: 10
YAML
}

up() {
  local t0=$SECONDS b
  down quiet
  for b in $K8S_BINS; do [[ -x $GR_BIN/$b ]] || die "missing $GR_BIN/$b (hack/build-k8s.sh $K8S_BINS)"; done
  [[ -f $L/images/pause.tar ]] || die "missing images (lab/images.sh)"
  mkdir -p "$L"/{logs,pids,run}
  pki
  configs
  # What exists before the node: netns names (podman and others make theirs),
  # so teardown removes only what the lab's pods left.
  ls /run/netns 2>/dev/null >"$L/run/netns-before" || true
  for s in $SYSCTLS; do printf '%s %s\n' "$s" "$(sysctl -n "$s" 2>/dev/null)"; done >"$L/run/sysctl-orig"
  # iptables tables (nf_tables backend) that exist before: kubelet and
  # kube-proxy create filter, nat and mangle; down deletes the ones they made.
  nft list tables 2>/dev/null >"$L/run/nft-before" || true

  # The node IP lives on the pod bridge (kubelet refuses loopback).
  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up

  mkdir -p "$L/run/containerd"
  start containerd containerd --config "$L/etc/containerd.toml"
  waitfor containerd 30 ctr -a "$L/run/containerd/containerd.sock" version
  for b in "$L"/images/*.tar; do
    ctr -a "$L/run/containerd/containerd.sock" -n k8s.io images import "$b" >/dev/null
  done

  mkdir -p "$L/run/etcd" && chmod 700 "$L/run/etcd"
  start etcd etcd --name lab --data-dir "$L/run/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster "lab=http://127.0.0.1:$ETCD_PEER" --listen-metrics-urls ''
  waitfor etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  local p=$L/pki
  start kube-apiserver "$GR_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address "$NODE_IP" --secure-port "$API_PORT" \
    --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" --client-ca-file "$p/ca.crt" \
    --kubelet-client-certificate "$p/apiserver-kubelet-client.crt" --kubelet-client-key "$p/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$p/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --token-auth-file "$p/tokens.csv" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --service-cluster-ip-range "$SVC_CIDR" --allow-privileged=true \
    --enable-priority-and-fairness=false --profiling=false
  waitfor kube-apiserver 180 kubectl get --raw /readyz || die "kube-apiserver: $(tail -n 5 "$L/logs/kube-apiserver.log")"

  start kube-controller-manager "$GR_BIN/kube-controller-manager" \
    --kubeconfig "$L/etc/kcm.kubeconfig" --authentication-kubeconfig "$L/etc/kcm.kubeconfig" --authorization-kubeconfig "$L/etc/kcm.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10257 --leader-elect=false \
    --use-service-account-credentials=true --service-account-private-key-file "$p/sa.key" \
    --root-ca-file "$p/ca.crt" --cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key" \
    --service-cluster-ip-range "$SVC_CIDR" --profiling=false \
    --flex-volume-plugin-dir "$L/run/kcm-flexvolume"
  start kube-scheduler "$GR_BIN/kube-scheduler" \
    --kubeconfig "$L/etc/scheduler.kubeconfig" --authentication-kubeconfig "$L/etc/scheduler.kubeconfig" --authorization-kubeconfig "$L/etc/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false --profiling=false
  mkdir -p "$L/run/kubelet"
  start kubelet "$GR_BIN/kubelet" --config "$L/etc/kubelet.yaml" --kubeconfig "$L/etc/kubelet.kubeconfig" \
    --root-dir "$L/run/kubelet" --cert-dir "$L/run/kubelet/pki" --hostname-override "$NODE" --node-ip "$NODE_IP" --v=2
  start kube-proxy "$GR_BIN/kube-proxy" --config "$L/etc/kube-proxy.yaml" --v=2
  waitfor "node Ready" 180 kubectl wait --for=condition=Ready "node/$NODE" --timeout=1s ||
    die "node not Ready: $(tail -n 5 "$L/logs/kubelet.log")"
  waitfor "default ServiceAccount" 60 kubectl get serviceaccount default
  say "node up in $((SECONDS - t0)) s"
}

stop() { # NAME BINARY-SUBSTRING
  local pid
  if alive "$1" "$2"; then
    pid=$(<"$L/pids/$1.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    [[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null
    say "stopped $1 ($pid)"
  fi
  rm -f "$L/pids/$1.pid"
}

down() {
  local quiet=${1:-}
  [[ -d $L ]] || return 0
  set +e
  # Lab helpers the runner started (lbsim, loadgen, watchers) record PIDs too.
  local f
  for f in "$L"/pids/run-*.pid; do
    [[ -e $f ]] || continue
    kill -TERM "$(<"$f")" 2>/dev/null; rm -f "$f"
  done
  # Pods first, through the kubelet, so that CRI tears each sandbox down
  # (CNI DEL, network namespace removed); whatever is left after that is
  # killed through containerd below.
  if alive kube-apiserver kube-apiserver && alive kubelet kubelet; then
    kubectl delete pods --all-namespaces --all --grace-period=0 --force --wait=false >/dev/null 2>&1
    for _ in $(seq 1 60); do
      [[ -z $(ctr -a "$L/run/containerd/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null) ]] && break
      sleep 0.5
    done
  fi
  stop kube-controller-manager kube-controller-manager
  stop kube-scheduler kube-scheduler
  stop kubelet kubelet # before the leftovers go, so it does not restart them
  if alive containerd containerd; then
    local ctr=(ctr -a "$L/run/containerd/containerd.sock" -n k8s.io) id
    for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
      "${ctr[@]}" tasks kill -s KILL "$id" 2>/dev/null
      "${ctr[@]}" tasks rm -f "$id" 2>/dev/null
    done
    for id in $("${ctr[@]}" containers ls -q 2>/dev/null); do "${ctr[@]}" containers rm "$id" 2>/dev/null; done
  fi
  stop kube-proxy kube-proxy
  # kube-proxy removes its own chains and rules.
  [[ -x $GR_BIN/kube-proxy ]] && "$GR_BIN/kube-proxy" --cleanup >/dev/null 2>&1
  stop kube-apiserver kube-apiserver
  stop etcd etcd
  stop containerd containerd
  # Shims of the lab's containerd (their -address points into $L).
  local p
  for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $L/run/containerd"); do kill -KILL "$p"; done
  # Mounts under $L, deepest first (kubelet's root bind mount, projected
  # volumes, sandbox shm, overlay rootfs).
  findmnt -rn -o TARGET | grep "^$L/" | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
  # Network namespaces the lab's pods left (CRI removes them on StopPodSandbox).
  if [[ -f $L/run/netns-before ]]; then
    for f in /run/netns/cni-*; do
      [[ -e $f ]] || continue
      grep -qx "$(basename "$f")" "$L/run/netns-before" || { umount "$f" 2>/dev/null; rm -f "$f"; }
    done
  fi
  # cgroups kubelet and containerd made (only empty ones go, depth first).
  local h top
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    for top in kubepods k8s.io; do
      [[ -d $h$top ]] && find "$h$top" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done
  # Chains kubelet creates (kube-proxy --cleanup does not own them).
  local ipt t
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null || continue
    $ipt -D INPUT -j KUBE-FIREWALL 2>/dev/null; $ipt -D OUTPUT -j KUBE-FIREWALL 2>/dev/null
    $ipt -F KUBE-FIREWALL 2>/dev/null; $ipt -X KUBE-FIREWALL 2>/dev/null
    for t in filter nat mangle; do
      for c in KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT KUBE-PROXY-CANARY; do
        $ipt -t $t -F $c 2>/dev/null; $ipt -t $t -X $c 2>/dev/null
      done
    done
  done
  # Tables kubelet and kube-proxy created, once empty (nf_tables backend).
  if [[ -f $L/run/nft-before ]] && command -v nft >/dev/null; then
    local fam tbl
    nft list tables 2>/dev/null | while read -r _ fam tbl; do
      grep -qx "table $fam $tbl" "$L/run/nft-before" && continue
      [[ $fam == ip || $fam == ip6 ]] || continue
      # only base chains left, no rule
      nft list table "$fam" "$tbl" 2>/dev/null | grep -qvE '^\s*(table |chain |type |\}|$)' ||
        nft delete table "$fam" "$tbl" 2>/dev/null
    done
  fi
  # Sysctls kubelet rewrites.
  if [[ -f $L/run/sysctl-orig ]]; then
    local k v
    while read -r k v; do
      [[ -n $v && $(sysctl -n "$k" 2>/dev/null) != "$v" ]] && sysctl -qw "$k=$v"
    done <"$L/run/sysctl-orig"
  fi
  ip link del "$BRIDGE" 2>/dev/null
  # Files kubelet, CNI and runc write outside --root-dir.
  rm -f /var/log/containers/*_gr-lab-*_* /var/log/containers/*_default_* /var/log/containers/*_kube-system_*
  rmdir /var/log/containers 2>/dev/null
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet/plugins_registry /var/lib/kubelet/plugins /var/lib/kubelet 2>/dev/null
  # (kube-controller-manager made this before it got --flex-volume-plugin-dir)
  rmdir /usr/libexec/kubernetes/kubelet-plugins/volume/exec /usr/libexec/kubernetes/kubelet-plugins/volume \
    /usr/libexec/kubernetes/kubelet-plugins /usr/libexec/kubernetes 2>/dev/null
  rm -f /var/lib/cni/results/gr-lab-* /var/lib/cni/results/cni-loopback-*
  rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
  rm -rf /run/containerd/runc/k8s.io
  rmdir /run/containerd/runc /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
  # State: etcd, containerd root, kubelet dir, pod logs, CNI IPAM (images stay).
  rm -rf "$L/run" "$L/pids" "$L/pki" "$L/etc"
  set -e
  [[ $quiet ]] || say "down"
}

state() {
  # Everything of the host the lab can touch, for a before/after diff.
  echo "# processes of the lab (a path under $L, lab-* programs, their haproxy)"
  ps -eo comm=,args= | grep -E "$L/|$GR_BIN/lab-|^haproxy .*/lbsim-" |
    grep -vE '^go |grep|node\.sh' | awk '{print $1}' | sort | uniq -c || true
  echo "# mounts (all)"
  findmnt -rn -o TARGET | grep -v '^/mnt/sandboxing' | sort
  echo "# links (all)"
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
  echo "# network namespaces"
  ls /run/netns 2>/dev/null | sort || true
  echo "# iptables chains (all tables, v4 and v6)"
  for ipt in iptables-save ip6tables-save; do
    command -v $ipt >/dev/null && $ipt 2>/dev/null | awk -v t="$ipt" '/^\*/ {tb=$1} /^:/ {print t, tb, $1}'
  done
  echo "# rules mentioning KUBE"
  for ipt in iptables-save ip6tables-save; do command -v $ipt >/dev/null && { $ipt 2>/dev/null | grep -c KUBE || true; }; done
  echo "# cgroups"
  ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/k8s.io 2>/dev/null || true
  echo "# sysctls"
  for s in $SYSCTLS; do printf '%s=%s\n' "$s" "$(sysctl -n "$s" 2>/dev/null)"; done
  echo "# files outside \$LAB_DIR"
  ls -d /var/log/containers /var/lib/kubelet /var/lib/cni /run/containerd /usr/libexec/kubernetes 2>/dev/null || true
}

case ${1:-} in
up) up ;;
down) down ;;
env) echo "export KUBECONFIG=$KUBECONFIG" ;;
state) state ;;
*) die "usage: $0 up|down|env|state" ;;
esac
