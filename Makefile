# graceful-rollout: `make demo` runs the function on an example package;
# `make test` runs every test layer (unit, golden, kpt, kustomize, Argo CD
# plugin, the container image, Helm post-renderers, API-server dry-run, the
# rollout lab's time-scaled subset). Tools the tests need are installed into
# $(GR_CACHE) by hack/ scripts.
SHELL := /bin/bash
GR_CACHE ?= $(HOME)/.cache/graceful-rollout
export GR_CACHE
BIN := $(CURDIR)/bin

.PHONY: build test unit e2e apiserver-test lab lab-test lint demo bench clean release release-test

build:
	hack/build.sh $(BIN)/graceful-rollout

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	go vet ./...
	cd tools && go vet ./lab/...
	cd cmd/graceful-rollout-calibrate && go vet ./...

# The function's packages, and the lab's programs (their own module, tools/;
# lbsim's integration tests run only with LBSIM_KUBECONFIG set) and its
# manifest fitting (lab/fit.py).
unit:
	go test ./...
	cd tools && go test ./lab/...
	cd cmd/graceful-rollout-calibrate && go test ./...
	cd lab && python3 -m unittest discover -p 'test_*.py'

# End to end through the real clients: kpt fn eval/render and kustomize build
# (exec and the image, with podman), Helm 3 and 4 post-renderers.
e2e: build
	set -euo pipefail; \
	eval "$$(hack/podman.sh env)"; \
	helm=($$(hack/install-helm.sh)); \
	image=$$(hack/build-image.sh); \
	kustomize=$$(hack/install-kustomize.sh); \
	GR_IMAGE=$$image GR_KUSTOMIZE=$$kustomize GR_HELM3=$${helm[0]} GR_HELM4=$${helm[1]} \
	PATH=$(BIN):$$PATH go test -count=1 -timeout 30m ./e2e/...

# Server-side dry-run of every example's and golden case's output against a
# real kube-apiserver with the vendor CRDs; the server is torn down at the end.
apiserver-test: build
	hack/test-apiserver.sh

test: lint unit e2e release-test apiserver-test lab-test

# The rollout lab: a real single-node Kubernetes, every scenario's input and
# output rolled out under load through the platforms' simulated load
# balancers, results in lab/out (real time: about 70 minutes). LAB_SCALE=N
# divides every delay by N; LAB_SCENARIOS=a,b picks scenarios;
# LAB_MANIFESTS=DIR LAB_PROFILE=NAME runs your own manifests (README:
# "Your own manifests in the lab").
lab:
	hack/lab.sh

# The lab's time-scaled subset (story 1 and the generic path, input and
# output, and the calibrate check on the GKE NEG path: 8 samples, the
# calibrated story); fails when an output drops a request, a rollout does
# not finish, or a measured p95 is out of bounds.
lab-test:
	LAB_OUT=$${LAB_OUT:-$(GR_CACHE)/lab-test-out} LAB_SCALE=$${LAB_SCALE:-4} \
	LAB_SCENARIOS=$${LAB_SCENARIOS:-story1-gke-gateway,path-generic,calibrate} \
	LAB_CALIBRATE_SAMPLES=$${LAB_CALIBRATE_SAMPLES:-8} LAB_CALIBRATE_PATHS=$${LAB_CALIBRATE_PATHS:-gke-neg} \
	LAB_CALIBRATE_VARIANTS=$${LAB_CALIBRATE_VARIANTS:-calibrated} hack/lab.sh --check

demo: build
	hack/demo.sh

clean:
	rm -rf bin dist

# A release snapshot under dist/ (no upload): the function's and the
# calibrate command's binaries for linux and darwin on amd64 and arm64 in
# archives, an SPDX SBOM, the function's image and the calibrate probe image
# for amd64 and arm64 (tags vX.Y.Z, vX.Y, vX), checksums.txt. The version is
# VERSION's.
release:
	hack/release.sh

# Builds the release and checks it: archives, versions, checksums, SBOM, images.
release-test: release
	set -e; eval "$$(hack/podman.sh env)"; GR_DIST=$(CURDIR)/dist go test -count=1 -run '^TestRelease' ./e2e/

# Wall time and peak RSS against the identity function (same SDK, parse and
# write only), medians of 5 alternating runs, the README "Performance" table
# (about 10 minutes on 2 cores).
bench: build
	go build -o $(BIN)/identity ./hack/identity
	go run ./hack/bench -runs 5 -mesh -fn $(BIN)/graceful-rollout -id $(BIN)/identity
