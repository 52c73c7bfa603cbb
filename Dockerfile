# syntax=docker/dockerfile:1
# itniotech-exporter image: the exporter (default entrypoint) and the built-in ITNIO simulator
# (`--entrypoint node IMAGE dist/simulator/main.js`, used by the compose demo). docs/install/container.md.
#
# Behind an intercepting HTTPS proxy, hand its CA to npm as a build secret; a secret mount is
# in no layer of any stage, so the CA never reaches the image:
#   podman build --format docker --secret id=npm_ca,src=/path/to/ca.pem .

# Node 24 LTS. CI builds FROM a local stand-in of this image (.ci/standin-base).
ARG NODE_IMAGE=node:24-bookworm-slim

# --- production dependencies only ------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm_ca,required=false \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- build: compile TypeScript -------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm_ca,required=false \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.browser.json ./
COPY scripts/build-page-script.mjs ./scripts/
COPY src ./src
# No source maps: the TypeScript sources they point at are not shipped.
RUN npm run build -- --sourceMap false

# --- runtime: production dependencies and compiled JS only -----------------------------
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="itniotech-exporter" \
      org.opencontainers.image.description="Prometheus exporter for the account balance of the ITNIO Tech SMS API" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Demo accounts for the simulator (docker compose --profile demo).
COPY examples/demo.yml ./examples/

# The official node images' unprivileged "node" user, by number so that Kubernetes'
# runAsNonRoot can verify it.
USER 1000:1000

EXPOSE 10042

# No curl in slim images: a small node probe of /healthz. It finds the listen address and the web
# config as the exporter does (flag, environment, default), reading the flags from PID 1's command
# line, and speaks HTTPS when the web config has tls_server_config. Override it when client
# certificates are required (RequireAnyClientCert, RequireAndVerifyClientCert): the probe has none.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/healthcheck.js"]

# A 2 MB young-generation semi-space (V8's default grows to 16 MB and stays resident after a
# poll of many accounts): about 25 MB less idle RSS at 1000 accounts (docs/benchmarks.md).
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/main.js"]
