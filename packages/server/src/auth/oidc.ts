import { BadRequestError } from '../errors/api-error.ts';
import type { OidcEndpoints, ProviderConfig, ResolvedEndpoints } from './oauth2-providers.ts';

const jose = () => import('jose');

/**
 * OpenID Connect plumbing for the OAuth2 sign-in: discovery (`{issuer}/.well-known/
 * openid-configuration`, cached per issuer for an hour) unless the provider lists its
 * endpoints, and id_token checks (signature against the provider's JWKS, issuer,
 * audience, expiry). State lives in the returned object, one per auth service.
 */
export function createOidc(): OidcEndpoints {
  const discovered = new Map<string, { at: number; doc: Promise<Record<string, unknown>> }>();
  const keySets = new Map<string, ReturnType<Awaited<ReturnType<typeof jose>>['createRemoteJWKSet']>>();

  async function discover(issuer: string): Promise<Record<string, unknown>> {
    const hit = discovered.get(issuer);
    if (hit && hit.at + 3_600_000 > Date.now()) return hit.doc;
    const doc = (async () => {
      const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) throw new BadRequestError('Failed to load the OpenID Connect configuration.');
      return (await res.json()) as Record<string, unknown>;
    })();
    discovered.set(issuer, { at: Date.now(), doc });
    doc.catch(() => discovered.delete(issuer));
    return doc;
  }

  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

  return {
    async endpoints(cfg: ProviderConfig): Promise<ResolvedEndpoints> {
      const doc = cfg.issuer && (!cfg.authURL || !cfg.tokenURL) ? await discover(cfg.issuer) : {};
      const authURL = cfg.authURL || text(doc.authorization_endpoint);
      const tokenURL = cfg.tokenURL || text(doc.token_endpoint);
      if (!authURL || !tokenURL)
        throw new BadRequestError('The OIDC provider has no authorization or token endpoint.');
      return {
        issuer: cfg.issuer || text(doc.issuer),
        authURL,
        tokenURL,
        userInfoURL: cfg.userInfoURL || text(doc.userinfo_endpoint),
        jwksURL: cfg.jwksURL || text(doc.jwks_uri),
      };
    },

    async verifyIdToken(ep, audience, idToken) {
      if (!ep.jwksURL) throw new BadRequestError('Failed to fetch OAuth2 user.');
      const { createRemoteJWKSet, jwtVerify } = await jose();
      let keys = keySets.get(ep.jwksURL);
      if (!keys) {
        keys = createRemoteJWKSet(new URL(ep.jwksURL));
        keySets.set(ep.jwksURL, keys);
      }
      try {
        const { payload } = await jwtVerify(idToken, keys, {
          audience,
          ...(ep.issuer ? { issuer: ep.issuer } : {}),
        });
        return payload as Record<string, unknown>;
      } catch (e) {
        throw new BadRequestError('Failed to fetch OAuth2 user.', {}, { cause: e });
      }
    },
  };
}
