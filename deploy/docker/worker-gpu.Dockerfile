# syntax=docker/dockerfile:1.7
# Temporal worker for GPU machines: polls `efficientbert` (workflows + light activities) and
# `efficientbert-gpu` (training, one child process per activity, EFFICIENTBERT_GPU_CONCURRENCY per
# pod). Build from the repository root (BuildKit; needs network beyond the npm registry: the ONNX
# Runtime CUDA provider comes from NuGet, libtensorflow from Google's storage):
#   docker build -f deploy/docker/worker-gpu.Dockerfile -t efficientbert/worker-gpu .
#
# Two CUDA user spaces side by side (their sonames differ, so they coexist; see deploy/README.md):
#   - CUDA 12.x + cuDNN 9 from the base image, for onnxruntime-node 1.30's CUDA provider
#     (libonnxruntime_providers_cuda.so; teacher inference in ONNX Runtime);
#   - CUDA 11.8 + cuDNN 8.9 from NVIDIA's apt repository (already configured in the base image),
#     for @tensorflow/tfjs-node-gpu 4.22, whose libtensorflow 2.9.1 is built against CUDA 11.2 and
#     cuDNN 8.1 and loads libcudart.so.11.0 / libcudnn.so.8 (CUDA 11 minor-version compatibility
#     lets it run on the 11.8 libraries).
# Host driver: >= 570 for the CUDA 12.8 base (pass --build-arg CUDA_IMAGE=...12.4.1... for >= 550).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04

FROM ${NODE_IMAGE} AS node

# tsx runs the TypeScript entry points (`node --import tsx`, also for the trainer child processes);
# it is a devDependency of the project, so it is installed on its own, at the version the lockfile
# pins, and linked into node_modules.
FROM ${NODE_IMAGE} AS tsx
WORKDIR /tmp/lock
COPY package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --prefix /opt/tsx --no-audit --no-fund --no-package-lock \
      "tsx@$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")"

# Dependencies are installed on the runtime's own distribution (Ubuntu 22.04), with a compiler in
# case tfjs-node-gpu has to build its binding instead of downloading the prebuilt one.
FROM ${CUDA_IMAGE} AS deps
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Install scripts off for the whole tree, then run exactly the ones this image needs:
#   onnxruntime-node: ONNXRUNTIME_NODE_INSTALL=cuda12 (overrides the .npmrc `skip`) downloads the
#     CUDA 12 provider; the `test -f` fails the build if it did not arrive;
#   @tensorflow/tfjs-node-gpu: downloads libtensorflow 2.9.1 (GPU) and its prebuilt binding;
#   @swc/core: checks its native binding (workflow bundling at worker start).
# The CPU-only @tensorflow/tfjs-node is dropped: the GPU package provides the `tensorflow` backend.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node \
 && npm rebuild @tensorflow/tfjs-node-gpu @swc/core \
 && rm -rf node_modules/@tensorflow/tfjs-node \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && test -n "$(find node_modules/@tensorflow/tfjs-node-gpu/lib -name tfjs_binding.node)"

FROM ${CUDA_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
ARG CUDNN8_VERSION=8.9.7.29-1+cuda11.8
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
      cuda-cudart-11-8 libcublas-11-8 libcufft-11-8 libcurand-11-8 libcusolver-11-8 \
      libcusparse-11-8 "libcudnn8=${CUDNN8_VERSION}" \
 && rm -rf /var/lib/apt/lists/* \
 && echo /usr/local/cuda-11.8/targets/x86_64-linux/lib > /etc/ld.so.conf.d/zz-cuda-11-8.conf \
 && ldconfig \
 && groupadd --system --gid 10001 efficientbert \
 && useradd --system --uid 10001 --gid efficientbert --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin efficientbert \
 && mkdir -p /var/lib/efficientbert/artifacts /var/lib/efficientbert/models \
 && chown -R 10001:10001 /var/lib/efficientbert
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=tsx /opt/tsx /opt/tsx
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
RUN [ -e node_modules/tsx ] || ln -s /opt/tsx/node_modules/tsx node_modules/tsx
COPY package.json tsconfig.json ./
COPY proto ./proto
COPY efficientbert ./efficientbert
COPY workflows ./workflows
COPY services ./services
ENV NODE_ENV=production \
    TEMPORAL_ADDRESS=temporal:7233 \
    TEMPORAL_NAMESPACE=default \
    EFFICIENTBERT_ARTIFACTS=/var/lib/efficientbert/artifacts \
    EFFICIENTBERT_MODEL_REPO=/var/lib/efficientbert/models \
    EFFICIENTBERT_QUEUES=light,gpu \
    EFFICIENTBERT_GPU_CONCURRENCY=1 \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 10001:10001
# No HEALTHCHECK: the worker serves no port. Temporal itself tracks it (task-queue pollers,
# activity heartbeats); a dead worker's activities time out on their heartbeat and are retried.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "services/worker/main.ts"]
