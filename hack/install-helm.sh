#!/usr/bin/env bash
# Install Helm 3 and Helm 4 into $GR_CACHE/bin as helm3 and helm4 (go install
# from the Go module proxy), unless those versions are already there. Prints
# the two paths, one a line. Cold on 2 cores: about 2-3 minutes each.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

versions=(helm.sh/helm/v3@v3.22.0 helm.sh/helm/v4@v4.3.1)
for mv in "${versions[@]}"; do
  module=${mv%@*} version=${mv#*@}
  name=helm${module##*/v}
  bin=$GR_BIN/$name
  # helm version --template prints the version it was built as (-ldflags below).
  if [[ $("$bin" version --template '{{.Version}}' 2>/dev/null) != "$version" ]]; then
    log "installing $name $version"
    mkdir -p "$GR_BIN"
    tmp=$(mktemp -d)
    GOBIN=$tmp CGO_ENABLED=0 go install -trimpath \
      -ldflags "-s -w -X $module/internal/version.version=$version" "$module/cmd/helm@$version"
    mv "$tmp/helm" "$bin"
    rm -rf "$tmp"
  fi
  echo "$bin"
done
