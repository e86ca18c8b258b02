# The function's image: a static binary on distroless, nonroot, no shell.
# Build: docker build -t graceful-rollout .
# Use:   kpt fn eval --image graceful-rollout DIR -- profile=gke-neg
# (The tests build the same image FROM scratch with hack/build-image.sh,
# from hack/image/Containerfile; e2e/image_test.go keeps the two in step.)
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN hack/build.sh /out/graceful-rollout

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/graceful-rollout /usr/local/bin/graceful-rollout
LABEL org.opencontainers.image.title="graceful-rollout" \
      org.opencontainers.image.description="KRM function: rollouts and pod moves that drop no requests" \
      org.opencontainers.image.source="https://github.com/graceful-rollout/graceful-rollout"
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/graceful-rollout"]
