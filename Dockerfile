# syntax=docker/dockerfile:1
# kubemirror container image.
#   docker build -t ghcr.io/kubemirror/kubemirror:0.1.0 .
# Stage 1 type-checks and bundles the program with the dev dependencies (scripts/bundle.mjs: one tree-shaken
# file with every runtime dependency inside); the runtime stage holds node and that file, no node_modules.
# test/packaging/production-install.test.ts runs the runtime stage's files from a directory without
# node_modules, since no Docker engine runs in CI.
ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: nothing needs to run at build time; esbuild finds its platform binary (an optional
# dependency) without its postinstall.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="kubemirror" \
      org.opencontainers.image.description="Mirrors any namespaced Kubernetes resource into matching namespaces" \
      org.opencontainers.image.source="https://github.com/kubemirror/kubemirror" \
      org.opencontainers.image.licenses="Apache-2.0"
# HOME points at /tmp so nothing tries to write to the (read-only) root filesystem; node itself writes nothing
# at run time.
ENV NODE_ENV=production \
    HOME=/tmp
WORKDIR /app
COPY --from=build --chown=0:0 /app/dist/kubemirror.js ./dist/kubemirror.js
# package.json says the bundle is an ES module ("type": "module")
COPY --chown=0:0 package.json ./
# Files are owned by root and not writable by the runtime user: the app cannot modify itself.
USER 65532:65532
EXPOSE 8080 8081
# V8 flags chosen by measurement (docs/memory.md); --expose-gc lets the controller collect once after its first
# lists. The chart adds --max-old-space-size from the memory limit.
ENTRYPOINT ["node", "--optimize-for-size", "--single-threaded", "--max-semi-space-size=1", "--expose-gc", "dist/kubemirror.js"]
CMD ["run"]
