#!/usr/bin/env bash
# The rollout lab end to end: install what it needs, build the Kubernetes
# binaries, the function and the lab's images, bring the node up, run the
# scenarios, write lab/out/results.{json,md} and the plots, and tear the node
# down again, also when interrupted or failing.
#
#   hack/lab.sh          every scenario at LAB_SCALE (default 1: real time)
#   hack/lab.sh --check  also fail when an output variant dropped a request
#                        or any run did not complete (make lab-test)
# Environment: LAB_SCALE, LAB_SCENARIOS=a,b, LAB_MANIFESTS=DIR with LAB_PROFILE
# or LAB_FN_CONFIG, LAB_SERVICE=name[:port], LAB_PLATFORM,
# LAB_RATE, LAB_DIR (node state, default $GR_CACHE/lab), LAB_OUT.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GR_ROOT"

t0=$SECONDS
hack/lab-install.sh
hack/build-k8s.sh kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy >/dev/null
hack/build.sh bin/graceful-rollout
lab/images.sh
# The calibrate command (its own module), for scenario calibrate.
(cd cmd/graceful-rollout-calibrate && CGO_ENABLED=0 go build -trimpath -o "$GR_BIN/graceful-rollout-calibrate" .)
# A kustomization given as LAB_MANIFESTS is built with the standalone kustomize.
if [[ -n ${LAB_MANIFESTS:-} ]]; then PATH=$GR_BIN:$PATH; hack/install-kustomize.sh >/dev/null; fi
log "tools ready in $((SECONDS - t0)) s"

runner=
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  # The runner first (its finally blocks stop lbsim and loadgen), then the node.
  if [[ -n $runner ]] && kill -0 "$runner" 2>/dev/null; then
    kill -INT "$runner" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$runner" 2>/dev/null || break; sleep 0.5; done
    kill -TERM "$runner" 2>/dev/null # still busy: its helpers go by their PID files below
  fi
  lab/node.sh down || true
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

lab/node.sh up
export KUBECONFIG
KUBECONFIG=$(lab/node.sh env | sed 's/^export KUBECONFIG=//')
# The companion objects' kinds (GCPBackendPolicy, TargetGroupBinding, ...).
kubectl apply --server-side -f testdata/crds >/dev/null
kubectl wait --for condition=Established --timeout 60s -f testdata/crds >/dev/null
t1=$SECONDS
# In the background and waited for, so that a signal to this script runs
# the teardown at once instead of after the runner.
/usr/bin/python3 lab/run.py &
runner=$!
wait "$runner"
runner=
log "scenarios ran in $((SECONDS - t1)) s"
/usr/bin/python3 lab/report.py "$@"
log "total $((SECONDS - t0)) s"
