import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Manifest } from '../../manifest/manifest.js';
import {
  DISPUTE_ID,
  DISPUTE_OUTCOMES,
  DISPUTE_SUBJECTS,
  FLAG_DECISIONS,
  type DisputeOutcome,
  type DisputeSubject,
  type FlagDecision,
} from '../../people/reviewEvents.js';
import { FLAG_ID } from '../../people/flagId.js';
import type { DecisionResult } from '../../people/reviewDesk.js';
import type { PlacedFlag } from '../../sinks/clickhouse/queries/anomalies.js';
import type { AppDesk } from '../desk.js';
import { ApiError } from '../errors.js';
import { disputeScope, isRefusal, reviewScope, type Principal } from '../scope.js';
import type { Html } from './html.js';
import { isLocale, negotiate, Translator } from './i18n.js';
import type { PageContext } from './layout.js';
import type { MessageKey } from './messages.js';
import { disputesPage } from './pages/disputes.js';
import { employeePage } from './pages/employee.js';
import { errorPage } from './pages/error.js';
import { disputeForm, flagCard, reviewForm } from './pages/flag.js';
import { homePage } from './pages/home.js';
import { manifestPage } from './pages/manifest.js';
import { overviewPage } from './pages/overview.js';
import { flagPage, flagsPage, reviewPage } from './pages/review.js';
import { sessionPrincipal } from './session.js';
import { localPath } from './signIn.js';
import { STYLESHEET } from './style.js';

export interface PageOptions {
  readonly desk: AppDesk;
  readonly issuer: string;
  /** The time zone of a plant (KPI_PLANTS_FILE), or the deployment's (KPI_TIME_ZONE). */
  readonly zoneOf: (plantId: string) => string;
  /** The manifest of the running configuration. */
  readonly manifest: () => Promise<Manifest>;
}

/** A form's route: its path's ids and the fields @fastify/formbody parsed. */
interface FormRoute {
  Params: Record<string, string>;
  Body: Record<string, unknown> | undefined;
}

/** The form a flag's reader may use on its page: a reviewer's decision on a proposed flag, the employee's dispute of a confirmed one. */
function flagActions(ctx: PageContext, p: Principal, flag: PlacedFlag): Html | '' {
  const path = `/flags/${flag.flagId}`;
  if (flag.status === 'proposed' && !isRefusal(reviewScope(p, flag))) return reviewForm(ctx, flag, path);
  if (flag.status === 'confirmed' && !isRefusal(disputeScope(p, flag.employeeId))) return disputeForm(ctx, 'flag', flag.flagId, path);
  return '';
}

/** The page's context: its language (chosen, else the browser's), the signed-in person, the notice of the last form. */
function contextOf(request: FastifyRequest, reply: FastifyReply, zoneOf: (plantId: string) => string): PageContext {
  const tr = new Translator(negotiate(request.session.get('lang'), request.headers['accept-language']));
  const person = sessionPrincipal(request);
  const notice = request.session.get('notice');
  if (notice !== undefined) request.session.set('notice', undefined);
  return {
    tr,
    path: request.url,
    ...(person === undefined ? {} : { person }),
    ...(notice === undefined ? {} : { notice }),
    csrf: () => reply.generateCsrf(),
    zoneOf,
  };
}

const send = (reply: FastifyReply, page: Html, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(page.text);

/** The words of a refusal on a page: the API's code in the page's language, the reason as the desk gave it. */
function refusalText(ctx: PageContext, error: ApiError): string {
  const keys: Partial<Record<ApiError['code'], MessageKey>> = {
    forbidden: 'error.forbidden',
    not_found: 'error.notFound',
    bad_request: 'error.badRequest',
    conflict: 'error.conflict',
    unauthorized: 'error.signIn',
  };
  return ctx.tr.t(keys[error.code] ?? 'error.internal', { reason: error.message });
}

/** What a decision sent from a form became, as the notice on the next page. */
function decidedText(ctx: PageContext, result: DecisionResult, done: 'done.review' | 'done.dispute' | 'done.decision'): string {
  if (result.outcome === 'conflict') return ctx.tr.t('error.conflict', { reason: result.reason });
  return ctx.tr.t(done, { status: ctx.tr.term('status', result.outcome === 'pending' ? 'pending' : result.status) });
}

/** An error as a page, in the page's language: the refusal's words, or for a stale form (CSRF) how to send it again. */
export function pageError(request: FastifyRequest, reply: FastifyReply, error: ApiError, staleForm = false, zoneOf = (_: string) => 'UTC') {
  const ctx = contextOf(request, reply, zoneOf);
  return send(reply, errorPage(ctx, staleForm ? ctx.tr.t('error.csrf') : refusalText(ctx, error)), error.status);
}

/**
 * The web pages of `kpi-stream app`: server-rendered HTML in English or
 * Simplified Chinese, over the same desk as the JSON API (app/desk.ts), so
 * the same scope, access log and decisions apply. A page that needs a
 * signed-in person sends anyone else to sign in, and back. A page out of the
 * person's scope answers 403 and says why; forms carry CSRF tokens, and what
 * they did is shown once on the page they return to.
 */
export function registerPages(app: FastifyInstance, options: PageOptions): void {
  const { desk, zoneOf } = options;

  /** A page for a signed-in person: its content from `render`, refusals as error pages with their status. */
  const page =
    <R extends FastifyRequest>(render: (ctx: PageContext, p: Principal, request: R) => Promise<Html>) =>
    async (request: R, reply: FastifyReply) => {
      const ctx = contextOf(request, reply, zoneOf);
      if (ctx.person === undefined) return reply.redirect(`/auth/login?return=${encodeURIComponent(request.url)}`, 303);
      try {
        return send(reply, await render(ctx, ctx.person.principal, request));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return send(reply, errorPage(ctx, refusalText(ctx, error)), error.status);
      }
    };

  /** A form that decides: on success or a refusal the person goes back to `return`, the outcome as a notice; out of scope, an error page. */
  const form =
    (
      done: 'done.review' | 'done.dispute' | 'done.decision',
      decide: (p: Principal, params: Record<string, string>, body: Record<string, unknown>) => Promise<DecisionResult>,
    ) =>
    async (request: FastifyRequest<FormRoute>, reply: FastifyReply) => {
      const ctx = contextOf(request, reply, zoneOf);
      if (ctx.person === undefined) return reply.redirect('/auth/login', 303);
      const body = request.body ?? {};
      const back = localPath(body.return);
      try {
        const result = await decide(ctx.person.principal, request.params, body);
        request.session.set('notice', { kind: result.outcome === 'conflict' ? 'error' : 'done', text: decidedText(ctx, result, done) });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 403 || error.status === 404) return send(reply, errorPage(ctx, refusalText(ctx, error)), error.status);
        request.session.set('notice', { kind: 'error', text: refusalText(ctx, error) });
      }
      return reply.redirect(back, 303);
    };

  /** A form field that must be one of `allowed`: anything else is the desk's 400. */
  const oneOf = <T extends string>(value: unknown, allowed: readonly T[], field: string): T => {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    throw new ApiError(400, 'bad_request', `${field} must be one of ${allowed.join(', ')}`);
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : '');

  app.get('/assets/app.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET));

  // Browsers ask for it on every site; the app has none, and says so without a page.
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());

  app.get('/lang', async (request: FastifyRequest<{ Querystring: { to?: string; return?: string } }>, reply) => {
    if (isLocale(request.query.to)) request.session.set('lang', request.query.to);
    return reply.redirect(localPath(request.query.return), 303);
  });

  app.get('/', async (request, reply) => send(reply, homePage(contextOf(request, reply, zoneOf), options.issuer)));

  app.get(
    '/me',
    page(async (ctx, p) => employeePage(ctx, await desk.me(p, 'GET /me'))),
  );

  app.get(
    '/review',
    page(async (ctx, p) => reviewPage(ctx, await desk.flags(p, 'proposed', 'GET /review'))),
  );

  // A flag by its id, or (the link alert events carry) the flags behind an alert about a person, by its fingerprint.
  app.get(
    '/flags/:key',
    page(async (ctx, p, request: FastifyRequest<{ Params: { key: string } }>) => {
      const key = request.params.key;
      if (!FLAG_ID.test(key)) {
        const flags = await desk.flagsOfAlert(p, key, `GET /flags/${key}`);
        return flags.length === 1
          ? flagPage(ctx, flags[0]!, flagActions(ctx, p, flags[0]!))
          : flagsPage(
              ctx,
              flags.map((f) => flagCard(ctx, f, flagActions(ctx, p, f))),
            );
      }
      const flag = await desk.flag(p, key, `GET /flags/${key}`);
      return flagPage(ctx, flag, flagActions(ctx, p, flag));
    }),
  );

  /** A dispute's flag, if it still stands in flags_current (retention or an erasure may have taken it): the dispute is shown either way. */
  const flagOrNone = (p: Principal, flagId: string) =>
    desk.flag(p, flagId, 'GET /disputes').catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    });

  app.get(
    '/disputes',
    page(async (ctx, p) => {
      const [disputes, overview] = await Promise.all([desk.disputes(p, undefined, 'GET /disputes'), desk.overview(p)]);
      const withFlags = await Promise.all(
        disputes.map(async (dispute) =>
          dispute.subject === 'flag' && dispute.status === 'open' ? { dispute, flag: await flagOrNone(p, dispute.subject_id) } : { dispute },
        ),
      );
      return disputesPage(ctx, withFlags, overview.disputes);
    }),
  );

  app.get(
    '/overview',
    page(async (ctx, p) => {
      const overview = await desk.overview(p);
      const teams = await Promise.all(overview.teams.map((t) => desk.teamSummary(p, t.team_id)));
      return overviewPage(ctx, overview, teams);
    }),
  );

  app.get(
    '/manifest',
    page(async (ctx) => manifestPage(ctx, await options.manifest())),
  );

  const csrf = { preValidation: app.csrfProtection };

  app.post<FormRoute>(
    '/flags/:flag_id/review',
    csrf,
    form('done.review', (p, params, body) =>
      desk.review(p, params.flag_id!, oneOf<FlagDecision>(body.decision, FLAG_DECISIONS, 'decision'), text(body.reason)),
    ),
  );

  app.post<FormRoute>(
    '/disputes',
    csrf,
    form('done.dispute', (p, _params, body) =>
      desk.openDispute(p, oneOf<DisputeSubject>(body.subject, DISPUTE_SUBJECTS, 'subject'), text(body.subject_id), text(body.statement)),
    ),
  );

  app.post<FormRoute>(
    '/disputes/:dispute_id/decision',
    csrf,
    form('done.decision', (p, params, body) => {
      const disputeId = params.dispute_id!;
      if (!DISPUTE_ID.test(disputeId)) throw new ApiError(404, 'not_found', `no dispute ${disputeId}`);
      return desk.decideDispute(p, disputeId, oneOf<DisputeOutcome>(body.outcome, DISPUTE_OUTCOMES, 'outcome'), text(body.resolution));
    }),
  );
}
