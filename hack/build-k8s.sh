#!/usr/bin/env bash
# Build Kubernetes binaries from the tools module (k8s.io/kubernetes, pinned in
# tools/go.mod) into $GR_CACHE/bin: hack/build-k8s.sh [NAME...] (default:
# kube-apiserver). Each binary is rebuilt only when tools/go.mod or go.sum
# changed since its cached build. Prints one path per binary.
# Cold on 2 cores: kubelet ~6 min, kube-controller-manager ~2.5 min, the others
# under a minute once those share the build cache (kube-apiserver alone ~5 min).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mod=$GR_ROOT/tools
hash=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -d' ' -f1)
(($#)) || set -- kube-apiserver
for name in "$@"; do
  case $name in
  kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy) ;;
  *) die "unknown binary $name (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy)" ;;
  esac
  bin=$GR_BIN/$name
  stamp=$bin.stamp
  if [[ -x $bin && -f $stamp && $(<"$stamp") == "$hash" ]]; then
    log "cached: $bin"
  else
    version=$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
    minor=$(cut -d. -f2 <<<"$version")
    log "building $name $version"
    mkdir -p "$GR_BIN"
    (cd "$mod" && go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
      -o "$bin.tmp.$$" "k8s.io/kubernetes/cmd/$name")
    mv "$bin.tmp.$$" "$bin"
    echo "$hash" >"$stamp"
  fi
  echo "$bin"
done
