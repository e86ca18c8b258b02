#!/usr/bin/env bash
# API-server stage of the tests. First the harness shows it bites:
# hack/testdata/known-good must pass server-side dry-run, and each
# hack/testdata/known-bad file must be rejected with the text of its
# "# expect-error:" line. Then the function's own output: every example as its
# client renders it, and every successful golden case, each must be accepted.
# Last, the rollout lab's lbsim integration tests against the same server.
# Starts and stops the apiserver unless GR_APISERVER_RUNNING=1; expects
# bin/graceful-rollout to be built (make apiserver-test does both).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hack=$GR_ROOT/hack
if [[ ${GR_APISERVER_RUNNING:-} != 1 ]]; then
  trap '"$hack/apiserver.sh" stop' EXIT
  "$hack/apiserver.sh" start
fi

passed=0 failed=0
check() { # NAME CONDITION...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    log "FAIL: $name"
    failed=$((failed + 1))
  fi
}

rejected_with() { # FILE TEXT: the server rejects FILE with a message containing TEXT
  local out rc=0
  out=$("$hack/dry-run.sh" --expect-reject "$1") || rc=$?
  echo "$out"
  ((rc == 0)) && [[ -n $2 && $out == *"$2"* ]]
}

check known-good "$hack/dry-run.sh" "$hack/testdata/known-good"
for f in "$hack"/testdata/known-bad/*.yaml; do
  check "$f" rejected_with "$f" "$(sed -n 's/^# expect-error: //p' "$f")"
done
rendered=$(mktemp -d)
trap 'rm -rf "$rendered"; [[ ${GR_APISERVER_RUNNING:-} == 1 ]] || "$hack/apiserver.sh" stop' EXIT
kustomize=$("$hack/install-kustomize.sh")
(cd "$GR_ROOT" && PATH=$GR_ROOT/bin:$PATH GR_KUSTOMIZE=$kustomize GR_RENDERED_DIR=$rendered \
  go test -count=1 -run 'TestExamples|TestArgoCDPlugin|TestGoldenOutputs|TestHelmOutputs' ./e2e/) >&2
for f in "$rendered"/*.yaml; do
  check "$(basename "$f" .yaml) accepted" "$hack/dry-run.sh" "$f"
done
# The lab's load-balancer simulator against the same API server and a real
# HAProxy (every platform's attach, health, gate, detach and drain timing).
"$hack/lab-install.sh"
kubeconfig=$("$hack/apiserver.sh" env | sed 's/^export KUBECONFIG=//')
check "lbsim integration" env -C "$GR_ROOT/tools" LBSIM_KUBECONFIG="$kubeconfig" \
  go test -count=1 -run Integration ./lab/lbsim/
echo "$passed passed, $failed failed"
((failed == 0))
