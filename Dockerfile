# syntax=docker/dockerfile:1
# itniotech-exporter image: the exporter (default entrypoint) and the built-in
# ITNIO simulator (`node dist/simulator/main.js`) used by the compose demo.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile TypeScript -------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies + compiled JS only -----------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Demo accounts for the simulator (docker compose --profile demo).
COPY examples ./examples

# The official node images ship an unprivileged "node" user (uid 1000).
USER node

EXPOSE 10042

# No curl in slim images: a small node probe of /healthz that follows ITNIO_LISTEN_ADDRESS and
# speaks HTTPS when the file in ITNIO_WEB_CONFIG_FILE has tls_server_config (basic auth alone
# needs nothing: /healthz is open). Override HEALTHCHECK when the listen address is given as a
# flag rather than ITNIO_LISTEN_ADDRESS, or when client certificates are required
# (RequireAnyClientCert, RequireAndVerifyClientCert): the probe has none.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/healthcheck.js"]

# A 2 MB young-generation semi-space (V8's default grows to 16 MB and stays resident after a
# poll of many accounts): about 25 MB less idle RSS at 1000 accounts (docs/benchmarks.md).
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/main.js"]
