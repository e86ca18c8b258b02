#!/usr/bin/env bash
# A release snapshot, offline, everything under dist/ (nothing is uploaded):
#   dist/graceful-rollout_X.Y.Z_{linux,darwin}_{amd64,arm64}.tar.gz
#       the static binary (hack/build.sh, version X.Y.Z linked in),
#       LICENSE, README.md, CHANGELOG.md
#   dist/graceful-rollout_X.Y.Z.spdx.json   SPDX 2.3 SBOM (hack/sbom)
#   dist/graceful-rollout_X.Y.Z_image.oci.tar
#       the image for linux/amd64 and linux/arm64 (FROM scratch, no
#       emulation: hack/image/Containerfile), an OCI layout whose index
#       tags vX.Y.Z, vX.Y and vX (never latest); also in local podman
#       storage as localhost/graceful-rollout:vX.Y.Z, :vX.Y, :vX
#   dist/checksums.txt                      SHA-256 of every file above
# The version is the VERSION file's, or $GR_VERSION. GR_RELEASE_IMAGE=0
# skips the image (no podman). Tested by e2e/release_test.go (make
# release-test).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GR_ROOT"

version=${GR_VERSION:-$(tr -d '[:space:]' <VERSION)}
[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "version $version is not X.Y.Z"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
tags=("v$version" "v$major.$minor" "v$major")
dist=$GR_ROOT/dist
rm -rf "$dist"
mkdir -p "$dist"
# Reproducible archives: file times are the last commit's.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export GR_VERSION=$version

bins=()
for os in linux darwin; do
  for arch in amd64 arm64; do
    name=graceful-rollout_${version}_${os}_${arch}
    dir=$dist/$name
    mkdir -p "$dir"
    log "building $os/$arch"
    GOOS=$os GOARCH=$arch hack/build.sh "$dir/graceful-rollout"
    cp LICENSE README.md CHANGELOG.md "$dir/"
    tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
      -C "$dist" -cf - "$name" | gzip -n -9 >"$dist/$name.tar.gz"
    bins+=("$name/graceful-rollout")
  done
done

log "SBOM"
(cd "$dist" && go run "$GR_ROOT/hack/sbom" -version "$version" -o "graceful-rollout_${version}.spdx.json" "${bins[@]}")

if [[ ${GR_RELEASE_IMAGE:-1} != 0 ]]; then
  podman=("$GR_ROOT/hack/podman.sh")
  repo=localhost/graceful-rollout
  list=$repo:v$version
  for t in "${tags[@]}"; do
    "${podman[@]}" manifest rm "$repo:$t" >/dev/null 2>&1 || "${podman[@]}" rmi -f "$repo:$t" >/dev/null 2>&1 || true
  done
  "${podman[@]}" manifest create "$list" >/dev/null
  for arch in amd64 arm64; do
    log "image linux/$arch"
    ctx=$(mktemp -d)
    cp hack/image/passwd hack/image/group "$ctx/"
    cp "$dist/graceful-rollout_${version}_linux_${arch}/graceful-rollout" "$ctx/"
    "${podman[@]}" build --quiet --network none --platform "linux/$arch" --build-arg GR_VERSION="$version" \
      --timestamp "$SOURCE_DATE_EPOCH" -t "$repo:v$version-$arch" -f hack/image/Containerfile "$ctx" >/dev/null
    rm -rf "$ctx"
    "${podman[@]}" manifest add "$list" "containers-storage:$repo:v$version-$arch" >/dev/null
  done
  layout=$(mktemp -d)
  for t in "${tags[@]}"; do
    [[ $t == "v$version" ]] || "${podman[@]}" tag "$list" "$repo:$t"
    "${podman[@]}" manifest push --quiet --all "$list" "oci:$layout:$t" >/dev/null
  done
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$layout" -cf "$dist/graceful-rollout_${version}_image.oci.tar" .
  rm -rf "$layout"
fi

(cd "$dist" && sha256sum -- *.tar.gz *.spdx.json $(ls *.oci.tar 2>/dev/null) >checksums.txt)
# The unpacked folders were only the archives' staging.
for os in linux darwin; do for arch in amd64 arm64; do rm -rf "$dist/graceful-rollout_${version}_${os}_${arch}"; done; done
log "release $version in dist/:"
(cd "$dist" && ls -l) >&2
