# hookworker image: a static binary on distroless, running as a non-root user.
#
# Kept correct by reading, not by running: there is no Docker engine on the
# dev machines. Check changes against cmd/hookworker and internal/config/config.go.
#
#   docker build --build-arg VERSION=v1.2.3 -t hookworker .
#   docker run --rm -e NATS_URL=nats://nats.example:4222 hookworker
#
# The image runs configs/production.yaml: no embedded server (a missing NATS
# URL is an error, not a private server), no loopback or private targets
# (http.allow empty), JSON logs.

# ---- build ----
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so the download layer is reused while only code changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /hookworker ./cmd/hookworker

# ---- run ----
# static-debian12 carries CA certificates (for https webhooks) and tzdata.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /hookworker /hookworker
# production.yaml, templates/ and webhooks/ (the registry, webhooks.dir).
COPY configs/ ./configs/
# 65532 is the nonroot user of distroless.
USER 65532:65532
# No EXPOSE: the worker only makes outbound connections (NATS, webhooks).
# Give `docker stop -t` / the orchestrator's grace period more than
# worker.shutdown_grace (20s); the compose file uses 30s.
ENTRYPOINT ["/hookworker"]
CMD ["run", "--config", "configs/production.yaml"]
