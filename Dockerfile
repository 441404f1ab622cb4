# hookworker image: a static binary on distroless, running as a non-root user.
#
# Kept correct by reading, not by running: there is no Docker engine on the
# dev machines. Check changes against cmd/hookworker and internal/config/config.go.
#
#   docker build -t hookworker .
#   docker run --rm -e HOOKWORKER_NATS_URL=nats://nats.example:4222 hookworker

# ---- build ----
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so the download layer is reused while only code changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /hookworker ./cmd/hookworker
# An empty ./data for the embedded server's store (used only when no NATS URL
# is configured), to be owned by the non-root user below.
RUN mkdir -p /out/data

# ---- run ----
# static-debian12 carries CA certificates (for https webhooks) and tzdata.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /hookworker /hookworker
# hookworker.yaml (the defaults) and webhooks/ (the registry, webhooks.dir).
COPY configs/ ./configs/
# 65532 is the nonroot user of distroless.
COPY --from=build --chown=65532:65532 /out/data ./data
USER 65532:65532
# No EXPOSE: the worker only makes outbound connections (NATS, webhooks).
# Give `docker stop -t` / the orchestrator's grace period more than
# worker.shutdown_grace (20s); the compose file uses 30s.
ENTRYPOINT ["/hookworker"]
CMD ["run", "--config", "configs/hookworker.yaml"]
