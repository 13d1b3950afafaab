FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the lockfile's packages. No install scripts: none of the packages the image needs runs one
# (package.json "allowScripts" lists those that have one, all refused).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# tsc itself, not `npm run build`: its prebuild step would `npm install` over the clean install. What the
# published package leaves out (package.json "files": the development tools) stays out of the image too.
RUN npx tsc -p tsconfig.build.json && rm -rf dist/tools && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# The local identity provider (tools/idp: a development tool, with the development dependencies it
# needs), for docker-compose.yml's profile demo only: `docker build --target idp`. Never the default image.
FROM node:24-bookworm-slim AS idp
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.build.json && mkdir -p /var/lib/kpi-idp && chown node:node /var/lib/kpi-idp
ENV LOG_FORMAT=json KPI_SERVICES_DIR=/var/lib/kpi-idp KPI_IDP_HOST=0.0.0.0
USER node
ENTRYPOINT ["node", "dist/tools/idp/main.js"]

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production LOG_FORMAT=json
# `run` serves /metrics, /healthz and /readyz on every interface of the container, for Prometheus
# and probes from outside it; other commands serve nothing (README "Metrics and health").
ENV KPI_METRICS_HOST=0.0.0.0 KPI_METRICS_PORT=9464
EXPOSE 9464
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/sinks/clickhouse/migrations ./sinks/clickhouse/migrations
COPY --from=build /app/kpis/migrations ./kpis/migrations
# The image's unprivileged user (uid 1000); files stay root-owned and read-only to it.
USER node
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run"]
