#!/usr/bin/env bash
# Build the lab's images FROM scratch with static Go binaries and save them as
# docker archives under $LAB_DIR/images (lab/node.sh imports them into
# containerd; nothing is pulled): registry.k8s.io/pause:3.10 (the sandbox)
# and localhost/labapp:lab (tools/lab/labapp). Also builds lab-loadgen and
# lab-lbsim into $GR_CACHE/bin. Rebuilt only when their sources changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../hack/lib.sh"

L=${LAB_DIR:-$GR_CACHE/lab}
out=$L/images
work=$L/build
mkdir -p "$out" "$work" "$GR_BIN"
podman=(podman --root "$work/podman/root" --runroot "$work/podman/run" --runtime runc
  --cgroup-manager cgroupfs --storage-driver vfs --events-backend none)

# image NAME TAG BINARY: one FROM-scratch image with one static binary.
image() {
  local name=$1 tag=$2 bin=$3 sum ctx=$work/ctx-$1
  sum=$(sha256sum "$bin" | cut -d' ' -f1)
  if [[ -f $out/$name.tar && $(cat "$out/$name.sum" 2>/dev/null) == "$sum" ]]; then return; fi
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp "$bin" "$ctx/$name"
  printf 'FROM scratch\nCOPY %s /%s\nENTRYPOINT ["/%s"]\n' "$name" "$name" "$name" >"$ctx/Containerfile"
  "${podman[@]}" build -q -t "$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
  rm -f "$out/$name.tar"
  "${podman[@]}" save -q --format docker-archive -o "$out/$name.tar" "$tag"
  "${podman[@]}" rmi -f "$tag" >/dev/null 2>&1 || true
  echo "$sum" >"$out/$name.sum"
  log "image $tag"
}

export CGO_ENABLED=0
(cd "$GR_ROOT/lab/pause" && go build -trimpath -ldflags '-s -w' -o "$work/pause" .)
image pause registry.k8s.io/pause:3.10 "$work/pause"
for p in ${LAB_PROGRAMS:-labapp loadgen lbsim}; do
  [[ -d $GR_ROOT/tools/lab/$p ]] || die "missing tools/lab/$p"
  (cd "$GR_ROOT/tools" && go build -trimpath -ldflags '-s -w' -o "$GR_BIN/lab-$p" "./lab/$p")
done
image labapp localhost/labapp:lab "$GR_BIN/lab-labapp"
