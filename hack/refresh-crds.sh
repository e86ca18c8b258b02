#!/usr/bin/env bash
# Refresh testdata/crds from upstream through the Go module proxy: for each
# file, `go mod download -json MODULE@VERSION` and copy the file out of the
# module's zip. The versions are those of testdata/crds/README.md; change
# both together. Files whose repository the proxy does not serve are kept as
# they are (the README says so). Then read `git diff testdata/crds`.
# Usage: hack/refresh-crds.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dest=$GR_ROOT/testdata/crds
# module version path-in-module file-in-testdata/crds
files=(
  "istio.io/istio v0.0.0-20260827124520-eed52ebb66ad manifests/charts/base/files/crd-all.gen.yaml istio-crd-all.gen.yaml"
  "sigs.k8s.io/gateway-api v1.4.1 config/crd/standard/gateway.networking.k8s.io_gateways.yaml gateway.networking.k8s.io_gateways.yaml"
  "sigs.k8s.io/gateway-api v1.4.1 config/crd/standard/gateway.networking.k8s.io_httproutes.yaml gateway.networking.k8s.io_httproutes.yaml"
  "sigs.k8s.io/gateway-api v1.4.1 config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml gateway.networking.k8s.io_grpcroutes.yaml"
  "sigs.k8s.io/gateway-api v1.4.1 config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml gateway.networking.k8s.io_gatewayclasses.yaml"
  "sigs.k8s.io/gateway-api v1.4.1 config/crd/experimental/gateway.networking.k8s.io_tcproutes.yaml gateway.networking.k8s.io_tcproutes.yaml"
  "github.com/argoproj/argo-rollouts v1.10.2 manifests/crds/rollout-crd.yaml argo-rollouts-rollout-crd.yaml"
)
# Not served by the proxy (kept; see the README):
#   github.com/GoogleCloudPlatform/gke-gateway-api: the proxy refuses it (403).
#   sigs.k8s.io/aws-load-balancer-controller: the proxy serves only v1.1.9
#   (2020); the controller's v2 releases are not Go module versions.
kept=(gke-gcpbackendpolicies.yaml gke-healthcheckpolicies.yaml aws-lbc-targetgroupbindings.yaml aws-lbc-targetgroupconfigurations.yaml)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# go mod download needs a main module only for its go line; none is used.
(cd "$work" && go mod init refresh-crds >/dev/null 2>&1)
for entry in "${files[@]}"; do
  read -r module version path file <<<"$entry"
  log "$module@$version $path"
  # A module may ask for a newer Go than this one (its go line): the zip is
  # downloaded all the same and its path is in the JSON, beside the error.
  json=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "$module@$version" || true)
  "$GR_PYTHON" - "$json" "$module@$version/$path" "$dest/$file" <<'PY'
import json, sys, zipfile
info, member, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
if "Zip" not in info:
    sys.exit("refresh-crds: %s: %s" % (member, info.get("Error", "no zip")))
with zipfile.ZipFile(info["Zip"]) as z, open(out, "wb") as f:
    f.write(z.read(member))
PY
done
for file in "${kept[@]}"; do
  [[ -f $dest/$file ]] || die "$file is missing and cannot be refreshed through the proxy"
  log "kept: $file (not served by the Go module proxy)"
done
git -C "$GR_ROOT" diff --stat -- testdata/crds >&2
