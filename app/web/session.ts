import { hkdfSync } from 'node:crypto';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import secureSession from '@fastify/secure-session';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf, type Principal } from '../scope.js';

/** How long a sign-in lasts on a browser: a shift. Signing out ends it at once. */
export const SESSION_SECONDS = 8 * 3600;

/** The signed-in person as the session keeps them: the claims of the access token checked at sign-in. */
export interface SessionPerson {
  readonly sub: string;
  readonly name: string;
  readonly kpi_roles: string[];
  readonly employee_id?: string;
  /** Epoch ms after which the person signs in again. */
  readonly until: number;
}

/** A sign-in under way: what the callback must find (PKCE, state, nonce) and where to go after. */
export interface PendingSignIn {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly returnTo: string;
}

/** The outcome of the last form sent, shown once on the next page. */
export interface Notice {
  readonly kind: 'done' | 'error';
  readonly text: string;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    person: SessionPerson;
    signIn: PendingSignIn;
    notice: Notice;
    /** The language chosen on the page. */
    lang: string;
  }
}

/**
 * Sessions as fastify recommends for a stateless app: @fastify/secure-session,
 * the whole session in one encrypted and authenticated cookie (libsodium's
 * secretbox; its key derived from KPI_APP_SESSION_SECRET, so every instance
 * with the same secret serves every session). The cookie is HttpOnly,
 * SameSite=Lax (the identity provider's redirect back is a top-level GET) and
 * Secure when the app is served over https. Forms are parsed by
 * @fastify/formbody and each carries a CSRF token (@fastify/csrf-protection,
 * its secret in the session), checked before any handler sees the form.
 */
export async function registerSessions(app: FastifyInstance, options: { secret: string; secure: boolean }): Promise<void> {
  const key = Buffer.from(hkdfSync('sha256', options.secret, 'kpi-stream', 'app session cookie', 32));
  await app.register(secureSession, {
    key,
    cookieName: 'kpi_session',
    expiry: SESSION_SECONDS,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: options.secure },
  });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(csrf, { sessionPlugin: '@fastify/secure-session', getToken: (request) => (request.body as { _csrf?: string } | undefined)?._csrf });
}

/** The person signed in on this browser, if their sign-in still holds. */
export function sessionPrincipal(request: FastifyRequest): { principal: Principal; name: string } | undefined {
  const person = request.session.get('person');
  if (person === undefined || !(person.until > Date.now())) return undefined;
  return { principal: principalOf(person), name: person.name };
}
