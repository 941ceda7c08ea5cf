# syntax=docker/dockerfile:1.7
# Inference server: gRPC Open Inference Protocol v2 + efficientbert.v1.Inference on 8001,
# Prometheus metrics on 8002, grpc.health.v1. Two targets, built from the repository root:
#   CPU (default, the last stage):
#     docker build -f deploy/docker/inference.Dockerfile -t efficientbert/inference .
#   CUDA (ONNX Runtime CUDA provider, laid out by scripts/setup-gpu.sh from PyPI: onnxruntime-gpu of
#   the npm package's version plus the CUDA 13 + cuDNN 9 nvidia-* wheels; needs only PyPI and npm;
#   the host's driver (>= 580 for CUDA 13) comes in through the NVIDIA container toolkit):
#     docker build -f deploy/docker/inference.Dockerfile --target runtime-cuda \
#       -t efficientbert/inference:cuda .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS node

# tsx runs the TypeScript entry points (`node --import tsx`); it is a devDependency of the project,
# so it is installed on its own, at the version the lockfile pins, and linked into node_modules.
FROM ${NODE_IMAGE} AS tsx
WORKDIR /tmp/lock
COPY package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --prefix /opt/tsx --no-audit --no-fund --no-package-lock \
      "tsx@$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")"

# Production dependencies, no install scripts: onnxruntime-node keeps its bundled CPU provider,
# the optional native tfjs packages (training only) are dropped.
FROM ${NODE_IMAGE} AS deps-cpu
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm \
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu

# The same tree plus the CUDA provider, exactly as `npm run setup:gpu` lays it out on a developer
# machine: the provider libraries in onnxruntime-node's bin folder, CUDA 13 + cuDNN 9 under
# EFFICIENTBERT_NATIVE_DIR, put on LD_LIBRARY_PATH by the server's launcher.
FROM deps-cpu AS deps-cuda
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/setup-gpu.sh ./scripts/setup-gpu.sh
RUN --mount=type=cache,target=/root/.cache/pip \
    PIP_BREAK_SYSTEM_PACKAGES=1 EFFICIENTBERT_NATIVE_DIR=/opt/efficientbert/native bash scripts/setup-gpu.sh \
 && rm -rf /opt/efficientbert/native/wheels \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

# The application files, shared by both runtime targets.
FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY package.json tsconfig.json ./
COPY proto ./proto
COPY efficientbert ./efficientbert
COPY workflows ./workflows
COPY services ./services
COPY deploy/healthcheck.js ./deploy/healthcheck.js

# CUDA user space from PyPI (above), so the base is the plain Node image; the container toolkit
# mounts the driver (libcuda.so.1) when NVIDIA_VISIBLE_DEVICES / DRIVER_CAPABILITIES ask for it.
FROM ${NODE_IMAGE} AS runtime-cuda
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 efficientbert \
 && useradd --system --uid 10001 --gid efficientbert --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin efficientbert \
 && mkdir -p /var/lib/efficientbert/models /var/lib/efficientbert/model-cache \
 && chown -R 10001:10001 /var/lib/efficientbert
COPY --from=tsx /opt/tsx /opt/tsx
COPY --from=app /app /app
COPY --from=deps-cuda /app/node_modules /app/node_modules
COPY --from=deps-cuda /opt/efficientbert/native /opt/efficientbert/native
WORKDIR /app
RUN [ -e node_modules/tsx ] || ln -s /opt/tsx/node_modules/tsx node_modules/tsx
ENV NODE_ENV=production \
    EFFICIENTBERT_MODEL_REPO=/var/lib/efficientbert/models \
    EFFICIENTBERT_INFERENCE_MODEL_CACHE=/var/lib/efficientbert/model-cache \
    EFFICIENTBERT_INFERENCE_HOST=0.0.0.0 \
    EFFICIENTBERT_INFERENCE_PORT=8001 \
    EFFICIENTBERT_INFERENCE_METRICS_PORT=8002 \
    EFFICIENTBERT_INFERENCE_PROVIDERS=cuda,cpu \
    EFFICIENTBERT_NATIVE_DIR=/opt/efficientbert/native \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 10001:10001
EXPOSE 8001 8002
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD node deploy/healthcheck.js --address "127.0.0.1:${EFFICIENTBERT_INFERENCE_PORT}" || exit 1
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "exec node --import tsx services/inference/main.ts --repository \"$EFFICIENTBERT_MODEL_REPO\""]

FROM ${NODE_IMAGE} AS runtime-cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 efficientbert \
 && useradd --system --uid 10001 --gid efficientbert --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin efficientbert \
 && mkdir -p /var/lib/efficientbert/models /var/lib/efficientbert/model-cache \
 && chown -R 10001:10001 /var/lib/efficientbert
COPY --from=tsx /opt/tsx /opt/tsx
COPY --from=app /app /app
COPY --from=deps-cpu /app/node_modules /app/node_modules
WORKDIR /app
RUN [ -e node_modules/tsx ] || ln -s /opt/tsx/node_modules/tsx node_modules/tsx
ENV NODE_ENV=production \
    EFFICIENTBERT_MODEL_REPO=/var/lib/efficientbert/models \
    EFFICIENTBERT_INFERENCE_MODEL_CACHE=/var/lib/efficientbert/model-cache \
    EFFICIENTBERT_INFERENCE_HOST=0.0.0.0 \
    EFFICIENTBERT_INFERENCE_PORT=8001 \
    EFFICIENTBERT_INFERENCE_METRICS_PORT=8002 \
    EFFICIENTBERT_INFERENCE_PROVIDERS=cpu
USER 10001:10001
EXPOSE 8001 8002
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD node deploy/healthcheck.js --address "127.0.0.1:${EFFICIENTBERT_INFERENCE_PORT}" || exit 1
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "exec node --import tsx services/inference/main.ts --repository \"$EFFICIENTBERT_MODEL_REPO\""]
