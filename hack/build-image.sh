#!/usr/bin/env bash
# Build the function's image for the tests with podman (hack/podman.sh):
# hack/image/Containerfile, FROM scratch, on the binary of hack/build.sh.
# Usage: hack/build-image.sh [TAG]   (default localhost/graceful-rollout:test)
# Prints the tag.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tag=${1:-localhost/graceful-rollout:test}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$GR_ROOT/hack/image/passwd" "$GR_ROOT/hack/image/group" "$ctx/"
"$GR_ROOT/hack/build.sh" "$ctx/graceful-rollout"
"$GR_ROOT/hack/podman.sh" build --quiet --network none --build-arg GR_VERSION="$("$ctx/graceful-rollout" --version | cut -d' ' -f2)" -t "$tag" -f "$GR_ROOT/hack/image/Containerfile" "$ctx" >/dev/null
# The image this tag named before, now untagged (about 10 MB each).
"$GR_ROOT/hack/podman.sh" image prune -f >/dev/null
echo "$tag"
