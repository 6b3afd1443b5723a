# syntax=docker/dockerfile:1
#
# provwatch container image: a static Go binary on distroless.
#
#   docker buildx build --platform linux/arm64,linux/amd64 \
#     --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) -t provwatch:dev .
#
# The build stage runs on the builder's own platform and cross-compiles for
# the target (CGO is off), so a multi-arch build needs no emulation.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/go/build-cache \
    GOCACHE=/go/build-cache CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/provwatch ./cmd/provwatch
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/go/build-cache \
    GOCACHE=/go/build-cache CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/provwatch-follow ./cmd/provwatch-follow

# distroless/static carries CA certificates (providers are reached over TLS),
# tzdata and /etc/passwd with the nonroot user, and no shell: the health
# check therefore runs the binary itself.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/provwatch /provwatch
# `provwatch follow` alone, without the AWS SDK, for gateway images to copy
# (configs/deploy/openclaw-follow.Dockerfile): 7 MB, 8-11 MB of memory.
COPY --from=build /out/provwatch-follow /provwatch-follow
USER nonroot:nonroot
EXPOSE 9464
# healthcheck gives up after 5s by itself; the 10s timeout lets its own
# message reach the health log. The daemon's /healthz turns unhealthy when no
# cycle finished within 3 schedule intervals; the start period covers the first.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["/provwatch", "healthcheck"]
ENTRYPOINT ["/provwatch"]
CMD ["run"]
