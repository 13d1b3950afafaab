/**
 * The local OpenID Connect identity provider: oidc-provider on
 * <KPI_IDP_HOST>:<KPI_IDP_PORT> (127.0.0.1 unless in its container), with the users of KPI_IDP_USERS_FILE (default:
 * tools/idp/users.yaml) and one client, the app (KPI_OIDC_CLIENT_ID, its secret
 * generated on first use). Started by `kpi-stream services up idp`, for the demo
 * and the tests; a plant's own identity provider takes its place
 * (KPI_OIDC_ISSUER). Stops on SIGTERM/SIGINT.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { projectRoot } from '../../core/paths.js';
import { privateDirectory } from '../../core/privateFiles.js';
import { generatedSecret } from '../../core/secrets.js';
import { serviceLayout } from '../../services/layout.js';
import { idpRedirectUris } from '../../services/idp/service.js';
import { loginPage } from './loginPage.js';
import { createProvider } from './provider.js';
import { authenticate, readUsers } from './users.js';

process.umask(0o077);
const config = loadConfig();
const log = createLogger(config.logLevel, config.logFormat, 'kpi-stream-idp');
const layout = serviceLayout(config, 'idp');
privateDirectory(layout.home);
privateDirectory(layout.dataDir);

/** The signing key, made once and kept: a restart must not invalidate the tokens the app has been handed. */
async function signingKey(): Promise<JWK> {
  const file = join(layout.dataDir, 'signing-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'ES256', use: 'sig' };
  writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  return jwk;
}

const usersFile = config.idpUsersFile ?? join(projectRoot(), 'tools', 'idp', 'users.yaml');
const users = readUsers(usersFile);
const provider = createProvider({
  issuer: config.oidc.issuer,
  users,
  client: { id: config.oidc.clientId, secret: config.oidc.clientSecret, redirectUris: idpRedirectUris(config) },
  signingKey: await signingKey(),
  cookieKeys: [generatedSecret(join(layout.dataDir, 'cookie-key'))],
});
// oidc-provider explains a refused request on its error page only: the log says it too.
const logRefusal = (event: string) => (_ctx: unknown, error: Error & { error_description?: string }) =>
  log.warn({ event, description: error.error_description }, error.message);
provider.on('authorization.error', logRefusal('authorization.error'));
provider.on('grant.error', logRefusal('grant.error'));
provider.on('server_error', logRefusal('server_error'));
const oidc = provider.callback();

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// The sign-in form's answer redirects back to the app: its origin must be a form target too, or the browser stops there.
const formTargets = ["'self'", ...new Set(idpRedirectUris(config).map((uri) => new URL(uri).origin))].join(' ');

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}

/** The sign-in step of an authorization request: GET shows the form, POST checks the password and hands back to oidc-provider. */
async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, loginPage({ uid, error: 'This sign-in has expired: start again.' }));
  if (req.method === 'GET' && action === undefined) return send(res, 200, loginPage({ uid }));
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const user = authenticate(users, form.get('login') ?? '', form.get('password') ?? '');
    if (user === undefined) {
      log.info({ login: form.get('login') }, 'sign-in refused');
      return send(res, 401, loginPage({ uid, error: 'Unknown user or wrong password.' }));
    }
    log.info({ sub: user.sub }, 'signed in');
    await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  send(res, 405, loginPage({ uid, error: 'Method not allowed.' }));
}

const server = createServer((req, res) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (match === null) return void oidc(req, res);
  interaction(req, res, match[1]!, match[2]).catch((error: unknown) => {
    log.warn({ err: error }, 'interaction failed');
    if (!res.headersSent) send(res, 400, loginPage({ uid: match[1]!, error: 'This sign-in has expired: start again.' }));
  });
});
server.on('error', (error: NodeJS.ErrnoException) => {
  log.fatal({ err: error }, error.code === 'EADDRINUSE' ? `port ${config.idpPort} (KPI_IDP_PORT) is already in use` : 'HTTP server failed');
  process.exit(1);
});
server.listen(config.idpPort, config.idpHost, () => {
  log.info({ issuer: config.oidc.issuer, users: users.length, usersFile }, 'identity provider listening');
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
