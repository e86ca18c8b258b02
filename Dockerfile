# The function's image: a static binary on distroless, nonroot, no shell.
# Build: docker build --build-arg GR_VERSION=X.Y.Z -t graceful-rollout:vX.Y.Z .
# Use:   kpt fn eval --image graceful-rollout DIR -- profile=gke-neg
# (The tests build the same image FROM scratch with hack/build-image.sh,
# from hack/image/Containerfile; e2e/image_test.go keeps the two in step.)
FROM golang:1.26 AS build
# The release version (build arg GR_VERSION=X.Y.Z), linked in by hack/build.sh.
ARG GR_VERSION
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN hack/build.sh /out/graceful-rollout

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/graceful-rollout /usr/local/bin/graceful-rollout
ARG GR_VERSION=devel
LABEL org.opencontainers.image.title="graceful-rollout" \
      org.opencontainers.image.description="KRM function: rollouts and pod moves that drop no requests" \
      org.opencontainers.image.source="https://github.com/graceful-rollout/graceful-rollout" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${GR_VERSION}"
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/graceful-rollout"]
