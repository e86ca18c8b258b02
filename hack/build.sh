#!/usr/bin/env bash
# The one build command: the Makefile, the tests and the Dockerfile all call
# it, so the binary users get is the binary the tests ran.
# Usage: hack/build.sh [OUTPUT]   (default bin/graceful-rollout)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bin/graceful-rollout}
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$out" .
