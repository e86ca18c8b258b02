#!/usr/bin/env bash
# Runs the function on an example package the way a kpt user would, and shows
# what it changed and why. Usage: hack/demo.sh [EXAMPLE] (default gke-autopilot-spot)
# Every tool it needs is checked first: a missing one stops the demo with a
# message and exit 1, never a silent half-run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
example=${1:-gke-autopilot-spot}
[[ -d $root/examples/$example ]] || { echo "make demo: no example $example" >&2; exit 1; }
export PATH=$root/bin:$PATH
missing=0
need() {
  command -v "$1" >/dev/null && return
  echo "make demo: $1 is not on PATH: $2" >&2
  missing=1
}
need kpt "install kpt 1.0 (https://kpt.dev/installation/) and put it on PATH"
need graceful-rollout "run make build (bin/graceful-rollout)"
need diff "install diffutils"
((missing == 0)) || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/$example" "$work/before"
rm -rf "$work/before/.expected"
cp -r "$work/before" "$work/$example"
echo "\$ kpt fn render --allow-exec examples/$example"
(cd "$work" && kpt fn render --allow-exec --truncate-output=false "$example")
echo
echo "What changed:"
diff -ru "$work/before" "$work/$example" | sed -e "s|$work/||g" || true
