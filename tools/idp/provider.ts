import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { IdpUser } from './users.js';

/** The resource indicator of kpi-stream's API: access tokens for it are JWTs whose audience is the app's client id. */
export const API_RESOURCE = 'urn:kpi-stream:api';
/** The scope that asks for the claims `kpi_roles` and `employee_id`, in the ID token and the access token. */
export const KPI_SCOPE = 'kpi';
/** How long an access token holds: short, since the app checks each one without asking the provider. */
export const ACCESS_TOKEN_TTL_SECONDS = 600;

export interface ProviderOptions {
  readonly issuer: string;
  readonly users: readonly IdpUser[];
  readonly client: { readonly id: string; readonly secret: string; readonly redirectUris: readonly string[] };
  /** The provider's signing key (a private ES256 JWK with `kid`), kept across restarts so issued tokens stay valid. */
  readonly signingKey: JWK;
  readonly cookieKeys: readonly string[];
}

const kpiClaims = (user: IdpUser) => ({
  kpi_roles: user.kpi_roles,
  ...(user.employee_id === undefined ? {} : { employee_id: user.employee_id }),
  ...(user.plant_id === undefined ? {} : { plant_id: user.plant_id }),
});

/**
 * oidc-provider (panva's certified OpenID Connect implementation), configured as
 * a plant's identity provider would be for kpi-stream: one confidential client
 * (the app) with the authorization code flow and PKCE, ES256-signed ID tokens
 * and JWT access tokens (RFC 9068, `typ: at+jwt`) for the API resource, each
 * carrying `kpi_roles` and `employee_id`. Sign-in is the login form of
 * tools/idp/main.ts; consent is implied for the app, a first-party client.
 */
export function createProvider(options: ProviderOptions): Provider {
  const { users, client } = options;
  const userOf = (sub: string | undefined) => users.find((u) => u.sub === sub);
  const configuration: Configuration = {
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: [...client.redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [options.signingKey as never] },
    cookies: { keys: [...options.cookieKeys] },
    scopes: ['openid', 'profile', KPI_SCOPE],
    claims: { openid: ['sub'], profile: ['name'], [KPI_SCOPE]: ['kpi_roles', 'employee_id'] },
    // The ID token carries the claims its scopes ask for, not only the userinfo endpoint.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { AccessToken: ACCESS_TOKEN_TTL_SECONDS, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    findAccount: (_ctx, sub) => {
      const user = userOf(sub);
      if (user === undefined) return undefined;
      return { accountId: user.sub, claims: () => ({ sub: user.sub, name: user.name, ...kpiClaims(user) }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== API_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: KPI_SCOPE,
            audience: client.id,
            accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    extraTokenClaims: (_ctx, token) => {
      const user = userOf('accountId' in token ? token.accountId : undefined);
      return user === undefined ? undefined : kpiClaims(user);
    },
    // The app is the plant's own: signing in grants it what it asks for, without a consent page.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const oidc = ctx.oidc;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId });
      grant.addOIDCScope(`openid profile ${KPI_SCOPE}`);
      grant.addOIDCClaims(['name', 'kpi_roles', 'employee_id', 'plant_id']);
      grant.addResourceScope(API_RESOURCE, KPI_SCOPE);
      await grant.save();
      return grant;
    },
  };
  return new Provider(options.issuer, configuration);
}
