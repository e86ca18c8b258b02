#!/usr/bin/env bash
# The one build command: the Makefile, the tests, the Dockerfile and
# hack/release.sh all call it, so the binary users get is the binary the
# tests ran. GOOS/GOARCH cross-compile (CGO_ENABLED=0: a static binary);
# GR_VERSION (release builds) is linked in as the version, which otherwise
# comes from the build info (internal/version).
# Usage: [GR_VERSION=X.Y.Z] hack/build.sh [OUTPUT]   (default bin/graceful-rollout)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bin/graceful-rollout}
ldflags="-s -w"
if [[ -n ${GR_VERSION:-} ]]; then
  ldflags+=" -X github.com/graceful-rollout/graceful-rollout/internal/version.version=${GR_VERSION}"
fi
CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$out" .
