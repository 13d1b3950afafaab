import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../../core/config.js';
import { idpRedirectUris } from '../../../services/idp/service.js';

/** What a sign-in gives the app: the access token for the API and the ID token about the person. */
export interface SignedIn {
  readonly accessToken: string;
  readonly idToken: string;
}

/** Cookies as a browser keeps them for one host (paths ignored: the flow's cookies are all the provider's). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Signs in as a browser would, over HTTP and without one: the authorization
 * code flow with PKCE against the identity provider (the local one of
 * `services up idp`, or any whose sign-in form takes `login` and `password`):
 * the authorization request, the provider's login form posted with the user's
 * password, the redirect back with a code, and the code exchanged at the token
 * endpoint with the app's client credentials. No shortcut the product offers:
 * the provider issues these tokens as it would to the app.
 */
export async function signIn(config: Config, login: string, password: string): Promise<SignedIn> {
  const issuer = config.oidc.issuer;
  const redirectUri = idpRedirectUris(config)[0]!;
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const step = async (url: string, init: RequestInit = {}): Promise<string> => {
    const response = await fetch(new URL(url, issuer), { ...init, redirect: 'manual', headers: { ...init.headers, cookie: jar.header() } });
    jar.take(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || location === null) {
      throw new Error(`sign-in of ${login}: ${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    }
    return location;
  };
  const authorize = new URL(`${issuer}/auth`);
  for (const [key, value] of Object.entries({
    client_id: config.oidc.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile kpi',
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }))
    authorize.searchParams.set(key, value);
  const form = await step(authorize.href);
  const resume = await step(`${form}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login, password }).toString(),
  });
  const callback = new URL(await step(resume));
  if (!callback.href.startsWith(redirectUri) || callback.searchParams.get('state') !== state) {
    throw new Error(`sign-in of ${login}: redirected to ${callback.origin}${callback.pathname} ${callback.searchParams.get('error') ?? ''}`);
  }
  const credentials = Buffer.from(`${encodeURIComponent(config.oidc.clientId)}:${encodeURIComponent(config.oidc.clientSecret)}`).toString('base64');
  const token = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${credentials}` },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  });
  const body = (await token.json()) as { access_token?: string; id_token?: string; error?: string; error_description?: string };
  if (!token.ok || body.access_token === undefined || body.id_token === undefined) {
    throw new Error(`sign-in of ${login}: the token endpoint answered ${token.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  }
  return { accessToken: body.access_token, idToken: body.id_token };
}
