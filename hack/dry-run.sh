#!/usr/bin/env bash
# Server-side dry-run of every object in the given YAML files (directories are
# searched for *.yaml/*.yml) against the apiserver of hack/apiserver.sh.
# Skips Kptfile, kustomization.yaml, ResourceList objects and objects annotated
# config.kubernetes.io/local-config: "true". Objects without a namespace go to
# "default"; namespaces they name are created for real first.
# Exits 1 if the server rejects any file, or with --expect-reject, unless it
# rejects every file.
# Usage: hack/dry-run.sh [--expect-reject] FILE_OR_DIR...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

expect_reject=false
if [[ ${1:-} == --expect-reject ]]; then
  expect_reject=true
  shift
fi
(($#)) || die "usage: $0 [--expect-reject] FILE_OR_DIR..."

export KUBECONFIG=$GR_APISERVER_DIR/kubeconfig
kubectl get --raw /readyz >/dev/null || die "apiserver not ready; run hack/apiserver.sh start"

# select_objects IN OUT: write the documents of IN to send to OUT and print
# the namespaces they name.
select_objects() {
  "$GR_PYTHON" - "$1" "$2" <<'PY'
import re, sys, yaml
src, dst = sys.argv[1:]
kept, namespaces = [], set()
for doc in re.split(r"^---[ \t]*(?:#.*)?$", open(src).read(), flags=re.M):
    obj = yaml.safe_load(doc)
    if not isinstance(obj, dict) or obj.get("kind") == "ResourceList":
        continue
    meta = obj.get("metadata") or {}
    if (meta.get("annotations") or {}).get("config.kubernetes.io/local-config") == "true":
        continue
    # testdata/crds/ has no CRD of GKE's BackendConfig; its shape
    # is checked against kubernetes/ingress-gce's API types by a Go test
    # (transformers/lbpolicy/backendconfig_test.go).
    if obj.get("kind") == "BackendConfig" and str(obj.get("apiVersion", "")).startswith("cloud.google.com/"):
        print("skipped (no CRD; checked by backendconfig_test.go): BackendConfig", meta.get("name"), file=sys.stderr)
        continue
    # Kinds the function only reads, whose CRDs are not published
    # (testdata/crds/README.md): skipped by name.
    if (obj.get("kind"), str(obj.get("apiVersion", "")).split("/")[0]) in {
        ("MultiClusterIngress", "networking.gke.io"), ("MultiClusterService", "networking.gke.io"),
        ("ServiceExport", "net.gke.io"), ("ServiceImport", "net.gke.io"),
        ("LoadBalancerConfiguration", "gateway.k8s.aws"), ("IngressClassParams", "eks.amazonaws.com"),
        ("Canary", "flagger.app"), ("CloneSet", "apps.kruise.io"),
    }:
        print("skipped (read only, no published CRD):", obj.get("kind"), meta.get("name"), file=sys.stderr)
        continue
    kept.append(doc)
    if meta.get("namespace"):
        namespaces.add(meta["namespace"])
open(dst, "w").write("\n---\n".join(kept))
print(*sorted(namespaces))
PY
}

files=()
for arg; do
  if [[ -d $arg ]]; then
    mapfile -t -O "${#files[@]}" files < <(find "$arg" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
  else
    files+=("$arg")
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for f in "${files[@]}"; do
  case $(basename "$f") in Kptfile | kustomization.yaml) continue ;; esac
  namespaces=$(select_objects "$f" "$tmp/objects.yaml")
  if [[ ! -s $tmp/objects.yaml ]]; then
    log "no objects: $f"
    $expect_reject && failed=1
    continue
  fi
  for ns in $namespaces; do
    out=$(kubectl create namespace "$ns" 2>&1) || [[ $out == *AlreadyExists* ]] || die "$out"
  done
  if out=$(kubectl apply --server-side --dry-run=server --field-manager=graceful-rollout-test \
    -f "$tmp/objects.yaml" 2>&1); then
    if $expect_reject; then
      echo "NOT REJECTED $f"
      failed=1
    else
      echo "ok $f"
    fi
  else
    $expect_reject || failed=1
    echo "REJECTED $f: $out"
  fi
done
exit "$failed"
