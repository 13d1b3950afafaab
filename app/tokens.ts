import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ServiceError } from '../core/errors.js';

/** The algorithms accepted on access tokens: asymmetric only, so no shared secret can forge one. */
const ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];

export interface TokenVerifierOptions {
  /** KPI_OIDC_ISSUER: the `iss` every token must carry, and where the discovery document is. */
  readonly issuer: string;
  /** KPI_OIDC_CLIENT_ID: the audience every access token must name. */
  readonly audience: string;
}

export interface TokenVerifier {
  /** The verified claims, or undefined for a token that is not valid here (a bad signature, expired, another issuer or audience…). */
  verify(token: string): Promise<JWTPayload | undefined>;
  /** Whether the issuer's discovery document and keys were reached: for /readyz. */
  ready(): Promise<{ ok: boolean; detail: string }>;
}

/**
 * Verifies OIDC bearer access tokens with jose: JWT access tokens (RFC 9068,
 * `typ: at+jwt`, so an ID token cannot pass for one) signed by a key of the
 * issuer's JWKS (found through its discovery document, fetched on first use and
 * cached; unknown key ids refetch it), with the issuer, audience and expiry
 * checked. The discovery document is read lazily: the app starts while the
 * identity provider is down, and is not ready until it answers.
 */
export function tokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const discover = async () => {
    const url = `${options.issuer}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new ServiceError('oidc', `${url} answered ${response.status} (check KPI_OIDC_ISSUER)`);
    const document = (await response.json()) as { issuer?: string; jwks_uri?: string };
    if (document.issuer !== options.issuer) {
      throw new ServiceError('oidc', `${url} names issuer ${JSON.stringify(document.issuer)}, not ${options.issuer} (check KPI_OIDC_ISSUER)`);
    }
    if (typeof document.jwks_uri !== 'string') throw new ServiceError('oidc', `${url} names no jwks_uri`);
    return createRemoteJWKSet(new URL(document.jwks_uri), { timeoutDuration: 5_000 });
  };
  const keys = () => {
    jwks ??= discover().catch((error: unknown) => {
      jwks = undefined;
      throw error;
    });
    return jwks;
  };
  return {
    async verify(token) {
      const keySet = await keys();
      try {
        const { payload } = await jwtVerify(token, keySet, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ALGORITHMS,
          typ: 'at+jwt',
          requiredClaims: ['sub', 'exp'],
        });
        return payload;
      } catch (error) {
        if (error instanceof errors.JOSEError && !(error instanceof errors.JWKSTimeout)) return undefined;
        throw error;
      }
    },
    async ready() {
      try {
        await keys();
        return { ok: true, detail: `discovery document of ${options.issuer} read` };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
  };
}
