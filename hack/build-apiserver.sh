#!/usr/bin/env bash
# Build kube-apiserver from the tools/kube-apiserver module into $GR_CACHE/bin.
# The build (5-10 min on 2 cores) is skipped when the cached binary was built
# from the same go.mod/go.sum. Prints the binary's path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mod=$GR_ROOT/tools/kube-apiserver
bin=$GR_BIN/kube-apiserver
stamp=$bin.stamp
hash=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -d' ' -f1)

if [[ -x $bin && -f $stamp && $(<"$stamp") == "$hash" ]]; then
  log "cached: $bin"
else
  cd "$mod"
  version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
  log "building kube-apiserver $version (5-10 min on 2 cores)"
  mkdir -p "$GR_BIN"
  go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version" \
    -o "$bin.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "$bin.tmp" "$bin"
  echo "$hash" >"$stamp"
fi
echo "$bin"
