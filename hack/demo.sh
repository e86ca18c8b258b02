#!/usr/bin/env bash
# Runs the function on an example package the way a kpt user would, and shows
# what it changed and why. Usage: hack/demo.sh [EXAMPLE] (default gke-autopilot-spot)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
example=${1:-gke-autopilot-spot}
[[ -d $root/examples/$example ]] || { echo "no example $example" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/$example" "$work/before"
rm -rf "$work/before/.expected"
cp -r "$work/before" "$work/$example"
export PATH=$root/bin:$PATH
echo "\$ kpt fn render --allow-exec examples/$example"
(cd "$work" && kpt fn render --allow-exec --truncate-output=false "$example") || true
echo
echo "What changed:"
diff -ru "$work/before" "$work/$example" | sed -e "s|$work/||g" || true
