# syntax=docker/dockerfile:1
# kubemirror container image.
#   docker build -t ghcr.io/kubemirror/kubemirror:0.1.0 .
# Stage 1 compiles TypeScript with the dev dependencies; stage 2 installs production dependencies only;
# the runtime stage holds node, dist/ and node_modules/ and nothing else. test/packaging/production-install.test.ts
# performs the same production install in a temp dir, since no Docker engine runs in CI.
ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script, and none should run at build time.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="kubemirror" \
      org.opencontainers.image.description="Mirrors any namespaced Kubernetes resource into matching namespaces" \
      org.opencontainers.image.source="https://github.com/kubemirror/kubemirror" \
      org.opencontainers.image.licenses="Apache-2.0"
# HOME and npm's cache point at /tmp so nothing tries to write to the (read-only) root filesystem;
# node itself writes nothing at run time.
ENV NODE_ENV=production \
    HOME=/tmp \
    npm_config_cache=/tmp/.npm
WORKDIR /app
COPY --from=deps --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
COPY --chown=0:0 package.json ./
# Files are owned by root and not writable by the runtime user: the app cannot modify itself.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/main.js"]
CMD ["run"]
