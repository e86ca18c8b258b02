#!/usr/bin/env bash
# A release snapshot, offline, everything under dist/ (nothing is uploaded):
#   dist/graceful-rollout_X.Y.Z_{linux,darwin}_{amd64,arm64}.tar.gz
#       the static binary (hack/build.sh, version X.Y.Z linked in),
#       LICENSE, README.md, CHANGELOG.md
#   dist/graceful-rollout-calibrate_X.Y.Z_{linux,darwin}_{amd64,arm64}.tar.gz
#       the calibrate command (cmd/graceful-rollout-calibrate, its own
#       module; static, main.version X.Y.Z linked in), LICENSE, its
#       README.md and rbac.yaml
#   dist/graceful-rollout_X.Y.Z.spdx.json   SPDX 2.3 SBOM of both (hack/sbom)
#   dist/graceful-rollout_X.Y.Z_image.oci.tar
#       the image for linux/amd64 and linux/arm64 (FROM scratch, no
#       emulation: hack/image/Containerfile), an OCI layout whose index
#       tags vX.Y.Z, vX.Y and vX (never latest); also in local podman
#       storage as localhost/graceful-rollout:vX.Y.Z, :vX.Y, :vX
#   dist/calibrate-probe_X.Y.Z_image.oci.tar
#       the calibrate command's probe image, the same way from
#       hack/image/calibrate-probe.Containerfile and the static lab app
#       (tools/lab/labapp); localhost/calibrate-probe:vX.Y.Z, :vX.Y, :vX
#   dist/checksums.txt                      SHA-256 of every file above
# The version is the VERSION file's, or $GR_VERSION. GR_RELEASE_IMAGE=0
# skips the images (no podman). Tested by e2e/release_test.go (make
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

# pack NAME: dist/NAME.tar.gz of the staged folder dist/NAME.
pack() {
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$dist" -cf - "$1" | gzip -n -9 >"$dist/$1.tar.gz"
}

bins=() calbins=()
for os in linux darwin; do
  for arch in amd64 arm64; do
    name=graceful-rollout_${version}_${os}_${arch}
    dir=$dist/$name
    mkdir -p "$dir"
    log "building $os/$arch"
    GOOS=$os GOARCH=$arch hack/build.sh "$dir/graceful-rollout"
    cp LICENSE README.md CHANGELOG.md "$dir/"
    pack "$name"
    bins+=("$name/graceful-rollout")

    name=graceful-rollout-calibrate_${version}_${os}_${arch}
    dir=$dist/$name
    mkdir -p "$dir"
    log "building graceful-rollout-calibrate $os/$arch"
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch go -C cmd/graceful-rollout-calibrate build -trimpath \
      -ldflags "-s -w -X main.version=$version" -o "$dir/graceful-rollout-calibrate" .
    cp LICENSE cmd/graceful-rollout-calibrate/README.md cmd/graceful-rollout-calibrate/rbac.yaml "$dir/"
    pack "$name"
    calbins+=("$name/graceful-rollout-calibrate")
  done
done

log "SBOM"
(cd "$dist" && go run "$GR_ROOT/hack/sbom" -version "$version" -o "graceful-rollout_${version}.spdx.json" "${bins[@]}" "${calbins[@]}")

# image NAME CONTAINERFILE BINARY: the image NAME for linux/amd64 and
# linux/arm64 from CONTAINERFILE (FROM scratch: no emulation), its context
# hack/image/passwd and group and the static BINARY (a path; ARCH in it
# stands for the architecture). Left in local podman storage as
# localhost/NAME:T (a manifest list) and written to
# dist/NAME_X.Y.Z_image.oci.tar, an OCI layout, for each T of $tags.
image() {
  local name=$1 containerfile=$2 binary=$3 repo=localhost/$1 list=localhost/$1:v$version t arch ctx layout
  for t in "${tags[@]}"; do
    "${podman[@]}" manifest rm "$repo:$t" >/dev/null 2>&1 || "${podman[@]}" rmi -f "$repo:$t" >/dev/null 2>&1 || true
  done
  "${podman[@]}" manifest create "$list" >/dev/null
  for arch in amd64 arm64; do
    log "image $name linux/$arch"
    ctx=$(mktemp -d)
    cp hack/image/passwd hack/image/group "${binary//ARCH/$arch}" "$ctx/"
    "${podman[@]}" build --quiet --network none --platform "linux/$arch" --build-arg GR_VERSION="$version" \
      --timestamp "$SOURCE_DATE_EPOCH" -t "$repo:v$version-$arch" -f "$containerfile" "$ctx" >/dev/null
    rm -rf "$ctx"
    "${podman[@]}" manifest add "$list" "containers-storage:$repo:v$version-$arch" >/dev/null
  done
  layout=$(mktemp -d)
  for t in "${tags[@]}"; do
    [[ $t == "v$version" ]] || "${podman[@]}" tag "$list" "$repo:$t"
    "${podman[@]}" manifest push --quiet --all "$list" "oci:$layout:$t" >/dev/null
  done
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$layout" -cf "$dist/${name}_${version}_image.oci.tar" .
  rm -rf "$layout"
}

if [[ ${GR_RELEASE_IMAGE:-1} != 0 ]]; then
  podman=("$GR_ROOT/hack/podman.sh")
  image graceful-rollout hack/image/Containerfile "$dist/graceful-rollout_${version}_linux_ARCH/graceful-rollout"
  for arch in amd64 arm64; do
    log "building the probe app (tools/lab/labapp) linux/$arch"
    CGO_ENABLED=0 GOOS=linux GOARCH=$arch go -C tools build -trimpath -ldflags "-s -w" \
      -o "$dist/calibrate-probe_${version}_linux_$arch/labapp" ./lab/labapp
  done
  image calibrate-probe hack/image/calibrate-probe.Containerfile "$dist/calibrate-probe_${version}_linux_ARCH/labapp"
fi

(cd "$dist" && sha256sum -- *.tar.gz *.spdx.json $(ls *.oci.tar 2>/dev/null) >checksums.txt)
# The folders were only the archives' and images' staging.
find "$dist" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
log "release $version in dist/:"
(cd "$dist" && ls -l) >&2
