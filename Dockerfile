# The function's image: a static binary on distroless, nonroot, no shell.
# Build: docker build -t graceful-rollout .
# Use:   kpt fn eval --image graceful-rollout DIR -- profile=gke-neg
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN hack/build.sh /out/graceful-rollout

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/graceful-rollout /usr/local/bin/graceful-rollout
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/graceful-rollout"]
