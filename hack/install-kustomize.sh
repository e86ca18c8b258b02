#!/usr/bin/env bash
# Install kustomize into $GR_CACHE/bin unless that version is already there.
# Prints the binary's path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version=v5.8.1
bin=$GR_BIN/kustomize

if [[ $("$bin" version 2>/dev/null) != "$version" ]]; then
  log "installing kustomize $version"
  rm -f "$bin" # go install won't overwrite a file that isn't a Go binary
  GOBIN=$GR_BIN go install "sigs.k8s.io/kustomize/kustomize/v5@$version"
fi
echo "$bin"
