import helmet from '@fastify/helmet';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { HealthCheck } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import { DURATION_BUCKETS } from '../core/metrics.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import type { Manifest } from '../manifest/manifest.js';
import { registerReadRoutes } from './api.js';
import { registerDecisionRoutes } from './decisions.js';
import { AppDesk, type Decisions } from './desk.js';
import { ApiError, errorBody } from './errors.js';
import { principalOf, type Principal } from './scope.js';
import type { TokenVerifier } from './tokens.js';
import { pageError, registerPages } from './web/routes.js';
import { registerSessions } from './web/session.js';
import { registerSignIn } from './web/signIn.js';

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
  /** The pages' sign-in and what they show beside the data. */
  readonly web: WebOptions;
}

export interface WebOptions {
  /** KPI_OIDC_ISSUER (or the local identity provider's), KPI_OIDC_CLIENT_ID and its secret. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Whether the identity provider may be reached over plain http: the local one only. */
  readonly allowHttp: boolean;
  /** The app's public address (KPI_APP_URL without a trailing slash): sign-in comes back to <appUrl>/auth/callback. */
  readonly appUrl: string;
  /** KPI_APP_SESSION_SECRET: the key of the session cookies. */
  readonly sessionSecret: string;
  /** The time zone of a plant (KPI_PLANTS_FILE), or the deployment's (KPI_TIME_ZONE). */
  readonly zoneOf: (plantId: string) => string;
  readonly manifest: () => Promise<Manifest>;
  /** A person's pseudonym under KPI_PSEUDONYM_KEY: how alerts about them name them. */
  readonly pseudonymOf: (employeeId: string) => string;
}

export interface RunningApp {
  /** Where it listens, e.g. http://127.0.0.1:8090. */
  readonly url: string;
  /** /readyz's check of the identity provider. */
  readonly oidcCheck: HealthCheck;
  close(): Promise<void>;
}

/**
 * Every response's Content-Security-Policy: no script at all, from anywhere;
 * styles and images from the app only; forms post to the app only (and the
 * identity provider, where a form's redirect to sign in again leads); nothing
 * may frame a page. The JSON API needs even less.
 */
const contentSecurityPolicy = (issuer: string) => ({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    formAction: ["'self'", new URL(issuer).origin],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
});

/**
 * `kpi-stream app`: fastify, with @fastify/helmet's headers on every response
 * (the strict CSP above, nosniff, no referrer…), `Cache-Control: no-store`
 * (answers hold personal data). Two doors to one desk (app/desk.ts): the JSON
 * API, with OIDC bearer tokens checked on every /api/ route (401 without a
 * valid one, 403 outside the role's scope: app/scope.ts) and errors in the
 * contract's shape `{"error": {"code", "message"}}`; and the web pages, signed
 * in through the identity provider into an encrypted session cookie, their
 * forms guarded by CSRF tokens (app/web/).
 */
export async function buildApp(options: Omit<AppOptions, 'host' | 'port'>): Promise<FastifyInstance> {
  const { client, verifier, registry, log, web } = options;
  const desk = new AppDesk(client, options.desk, web.pseudonymOf);
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

  await app.register(helmet, { contentSecurityPolicy: contentSecurityPolicy(web.issuer), crossOriginEmbedderPolicy: true });
  await registerSessions(app, { secret: web.sessionSecret, secure: new URL(web.appUrl).protocol === 'https:' });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
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

  // The API answers in JSON, the pages in HTML (app/web/routes.ts: the page's language, the way back).
  const isApi = (request: { url: string; routeOptions: { url?: string } }) => (request.routeOptions.url ?? request.url).startsWith('/api/');
  app.setNotFoundHandler((request, reply) =>
    isApi(request) ? reply.code(404).send(errorBody('not_found', 'no such route')) : pageError(request, reply, new ApiError(404, 'not_found', request.url)),
  );
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const known =
      error instanceof ApiError
        ? error
        : error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
          ? new ApiError(error.statusCode, error.code?.startsWith('FST_CSRF') ? 'forbidden' : 'bad_request', error.message)
          : undefined;
    if (known === undefined) log.error({ err: error, route: request.routeOptions.url }, 'request failed');
    const answered = known ?? new ApiError(500, 'internal', 'the request failed; the app log says why');
    if (isApi(request)) return reply.code(answered.status).send(errorBody(answered.code, answered.message));
    return pageError(request, reply, answered, error.code?.startsWith('FST_CSRF') === true);
  });

  registerReadRoutes(app, desk);
  registerDecisionRoutes(app, desk);
  registerSignIn(app, { ...web, verifier, log });
  registerPages(app, { desk, issuer: web.issuer, zoneOf: web.zoneOf, manifest: web.manifest });
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
