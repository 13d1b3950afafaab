import * as oidc from 'openid-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_CALLBACK_PATH } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { ApiError } from '../errors.js';
import type { TokenVerifier } from '../tokens.js';
import { SESSION_SECONDS } from './session.js';

export interface SignInOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The app's public address (KPI_APP_URL): the identity provider sends people back to <appUrl>/auth/callback. */
  readonly appUrl: string;
  /** Whether the identity provider may be reached over plain http (the local one of `services up idp` only). */
  readonly allowHttp: boolean;
  readonly verifier: TokenVerifier;
  readonly log: Logger;
}

/** A path on this app to go back to after signing in: never another site (`//evil`, `/\evil`, `https://…`). */
export function localPath(raw: unknown): string {
  return typeof raw === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(raw) ? raw : '/';
}

/**
 * Sign-in through OpenID Connect with openid-client: the authorization code
 * flow with PKCE, state and nonce, the app a confidential client
 * (KPI_OIDC_CLIENT_ID and KPI_OIDC_CLIENT_SECRET). The access token it gets is
 * checked as every API token is (app/tokens.ts: issuer, audience, signature,
 * `at+jwt`), and its claims (roles, employee_id) become the session's person;
 * the ID token gives the name shown. The session lasts SESSION_SECONDS, or
 * until signing out, which ends it here (the identity provider's own session
 * is the plant's to end).
 */
export function registerSignIn(app: FastifyInstance, options: SignInOptions): void {
  const redirectUri = `${options.appUrl}${APP_CALLBACK_PATH}`;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () =>
    (discovered ??= oidc
      .discovery(new URL(options.issuer), options.clientId, { redirect_uris: [redirectUri] }, oidc.ClientSecretBasic(options.clientSecret), {
        timeout: 5,
        ...(options.allowHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        discovered = undefined;
        options.log.warn({ err: error, issuer: options.issuer }, 'the identity provider cannot be reached');
        throw new ApiError(503, 'unavailable', `the identity provider ${options.issuer} cannot be reached; try again in a moment`);
      }));

  app.get('/auth/login', async (request: FastifyRequest<{ Querystring: { return?: string } }>, reply: FastifyReply) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce(), returnTo: localPath(request.query.return) };
    request.session.set('signIn', pending);
    const url = oidc.buildAuthorizationUrl(await configuration(), {
      redirect_uri: redirectUri,
      scope: 'openid profile kpi',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return reply.redirect(url.href, 303);
  });

  app.get(APP_CALLBACK_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const pending = request.session.get('signIn');
    request.session.set('signIn', undefined);
    if (pending === undefined) return reply.redirect('/auth/login', 303);
    const current = new URL(request.url, options.appUrl);
    const config = await configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      // A refused or tampered sign-in (an error from the provider, a wrong state): the person starts again.
      options.log.warn({ err: error }, 'a sign-in did not complete');
      throw new ApiError(401, 'unauthorized', (error as Error).message);
    }
    const claims = await options.verifier.verify(tokens.access_token);
    if (claims === undefined) throw new ApiError(401, 'unauthorized', 'the identity provider gave an access token that is not valid here');
    const id = tokens.claims();
    const name = typeof id?.name === 'string' && id.name !== '' ? id.name : String(claims.sub);
    request.session.regenerate(['lang']);
    request.session.set('person', {
      sub: String(claims.sub),
      name,
      kpi_roles: Array.isArray(claims.kpi_roles) ? claims.kpi_roles.map(String) : typeof claims.kpi_roles === 'string' ? claims.kpi_roles.split(' ') : [],
      ...(typeof claims.employee_id === 'string' && claims.employee_id !== '' ? { employee_id: claims.employee_id } : {}),
      until: Date.now() + SESSION_SECONDS * 1000,
    });
    options.log.info({ subject: claims.sub }, 'signed in to the app');
    return reply.redirect(pending.returnTo, 303);
  });

  app.post('/auth/logout', { preValidation: app.csrfProtection }, async (request: FastifyRequest, reply: FastifyReply) => {
    request.session.delete();
    return reply.redirect('/', 303);
  });
}
