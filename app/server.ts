import helmet from '@fastify/helmet';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { HealthCheck } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import { DURATION_BUCKETS } from '../core/metrics.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { registerReadRoutes } from './api.js';
import { registerDecisionRoutes, type Decisions } from './decisions.js';
import { ApiError, errorBody } from './errors.js';
import { principalOf, type Principal } from './scope.js';
import type { TokenVerifier } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person, set for every /api/ route before its handler runs. */
    principal?: Principal;
  }
}

export interface AppOptions {
  /** KPI_APP_HOST and KPI_APP_PORT (0: a free port). */
  readonly host: string;
  readonly port: number;
  readonly client: ClickHouseClient;
  readonly verifier: TokenVerifier;
  readonly registry: Registry;
  readonly log: Logger;
  /** Where decisions go: the review desk, its applier running beside the app (app/run.ts). */
  readonly desk: Decisions;
}

export interface RunningApp {
  /** Where it listens, e.g. http://127.0.0.1:8090. */
  readonly url: string;
  /** /readyz's check of the identity provider. */
  readonly oidcCheck: HealthCheck;
  close(): Promise<void>;
}

/** Every response's Content-Security-Policy: the API serves JSON, so nothing may load, run or frame it. */
const API_CSP = {
  useDefaults: false,
  directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
};

/**
 * `kpi-stream app`: fastify, with @fastify/helmet's headers on every response
 * (the strict CSP above, nosniff, no referrer…), `Cache-Control: no-store`
 * (answers hold personal data), OIDC bearer tokens checked on every /api/
 * route (401 without a valid one, 403 outside the role's scope: app/scope.ts),
 * and errors in the contract's shape `{"error": {"code", "message"}}`.
 */
export async function buildApp(options: Omit<AppOptions, 'host' | 'port'>): Promise<FastifyInstance> {
  const { client, verifier, registry, log, desk } = options;
  // Bodies as sent: no coercion of types, no silent removal of unknown fields (both answer 400).
  const app = Fastify({ logger: false, trustProxy: false, bodyLimit: 64 * 1024, ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });
  const requests = new Counter({
    name: 'kpi_app_requests_total',
    help: 'Requests to the app, by route (its pattern, never an id) and HTTP status.',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'kpi_app_request_duration_seconds',
    help: 'Time to answer a request to the app, by route.',
    labelNames: ['route'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });

  await app.register(helmet, { contentSecurityPolicy: API_CSP, crossOriginEmbedderPolicy: true });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, status: String(reply.statusCode) });
    durations.observe({ route }, reply.elapsedTime / 1000);
  });
  app.addHook('onRequest', async (request, reply) => {
    // By the route fastify matched, not the raw URL: /%61pi/v1/me is /api/v1/me to the router.
    if (!request.routeOptions.url?.startsWith('/api/')) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    const claims = match === null ? undefined : await verifier.verify(match[1]!);
    if (claims === undefined) {
      reply.header('www-authenticate', match === null ? 'Bearer' : 'Bearer error="invalid_token"');
      throw new ApiError(401, 'unauthorized', match === null ? 'sign in: send an OIDC access token as a Bearer token' : 'the access token is not valid here');
    }
    request.principal = principalOf(claims);
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('not_found', 'no such route')));
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(errorBody(error.code, error.message));
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody('bad_request', error.message));
    }
    log.error({ err: error, route: request.routeOptions.url }, 'request failed');
    return reply.code(500).send(errorBody('internal', 'the request failed; the app log says why'));
  });

  registerReadRoutes(app, client);
  registerDecisionRoutes(app, client, desk);
  return app;
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const app = await buildApp(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    oidcCheck: { name: 'oidc', check: () => options.verifier.ready() },
    close: () => app.close(),
  };
}
