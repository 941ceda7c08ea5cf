# syntax=docker/dockerfile:1.7
# Search gateway: gRPC efficientbert.v1.Search (+ grpc.health.v1, reflection) over the Temporal
# client. CPU only, no native ML libraries. Build from the repository root (BuildKit):
#   docker build -f deploy/docker/search-gateway.Dockerfile -t efficientbert/search-gateway .
ARG NODE_IMAGE=node:20-bookworm-slim

# tsx runs the TypeScript entry points (`node --import tsx`); it is a devDependency of the project,
# so it is installed on its own, at the version the lockfile pins, and linked into node_modules.
FROM ${NODE_IMAGE} AS tsx
WORKDIR /tmp/lock
COPY package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --prefix /opt/tsx --no-audit --no-fund --no-package-lock \
      "tsx@$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")"

# Production dependencies only. No install scripts: onnxruntime-node keeps its bundled CPU
# provider and the optional native tfjs packages (training only) are dropped.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm \
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 efficientbert \
 && useradd --system --uid 10001 --gid efficientbert --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin efficientbert \
 && mkdir -p /var/lib/efficientbert/artifacts \
 && chown -R 10001:10001 /var/lib/efficientbert
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=tsx /opt/tsx /opt/tsx
RUN [ -e node_modules/tsx ] || ln -s /opt/tsx/node_modules/tsx node_modules/tsx
COPY package.json tsconfig.json ./
COPY proto ./proto
COPY efficientbert ./efficientbert
COPY workflows ./workflows
COPY services ./services
COPY deploy/healthcheck.js ./deploy/healthcheck.js
ENV NODE_ENV=production \
    TEMPORAL_ADDRESS=temporal:7233 \
    TEMPORAL_NAMESPACE=default \
    SEARCH_HOST=0.0.0.0 \
    SEARCH_PORT=50051 \
    EFFICIENTBERT_ARTIFACTS=/var/lib/efficientbert/artifacts
USER 10001:10001
EXPOSE 50051
# SERVING only while Temporal answers (the gateway's health follows its Temporal connection).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node deploy/healthcheck.js --address "127.0.0.1:${SEARCH_PORT}" --timeout-ms 4000 || exit 1
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "services/search/main.ts"]
