# Production image: build in a full Rust image, run in a slim Debian as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# The queries are checked at compile time against the committed .sqlx/: the build has no database.
ENV SQLX_OFFLINE=true
COPY .sqlx ./.sqlx
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
COPY question-bank ./question-bank
RUN cargo build --release --bin ai102

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app ai102
WORKDIR /app
COPY --from=build /src/target/release/ai102 /usr/local/bin/ai102
COPY static ./static
COPY question-bank ./question-bank
USER ai102
ENV BIND=0.0.0.0:8080 LOAD_BANK=/app/question-bank LOG_FORMAT=json
EXPOSE 8080
# Probe GET /healthz (process up) and GET /readyz (database reachable, migrations applied) from the orchestrator.
CMD ["ai102", "serve"]
