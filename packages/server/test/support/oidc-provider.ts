import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** A user the test provider signs in: the claims its id_token and userinfo carry. */
export interface OidcUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

/** A running OpenID Connect provider for tests. */
export interface OidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Follows an authorization URL (ForgeBase's, with the redirect appended) as `user`
   * would, consenting: answers the `code` and `state` the provider redirects back with.
   */
  authorize(authURL: string, user: OidcUser): Promise<{ code: string; state: string; redirect: string }>;
  /** Makes the next id_token claim this audience (to test rejection). */
  nextAudience: string | undefined;
  close(): Promise<void>;
}

interface Grant {
  user: OidcUser;
  redirectURI: string;
  challenge: string;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts a small but real OIDC provider on a random port: discovery, authorize (consents
 * at once for the user the test names), token (client secret via Basic auth, PKCE S256,
 * single-use codes bound to their redirect URI), userinfo and JWKS, with RS256 id_tokens.
 */
export async function startOidcProvider(): Promise<OidcProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const clientId = 'forgebase-test';
  const clientSecret = randomBytes(16).toString('hex');
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, OidcUser>();
  let pendingUser: OidcUser | undefined;
  let issuer = '';
  const state: { nextAudience: string | undefined } = { nextAudience: undefined };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || !pendingUser)
        return json(400, { error: 'invalid_request' });
      if (q.get('code_challenge_method') !== 'S256') return json(400, { error: 'invalid_request' });
      const code = randomBytes(12).toString('hex');
      const redirectURI = q.get('redirect_uri') ?? '';
      codes.set(code, { user: pendingUser, redirectURI, challenge: q.get('code_challenge') ?? '' });
      const back = new URL(redirectURI);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const form = await readForm(req);
      const basic = Buffer.from(
        String(req.headers.authorization ?? '').replace(/^Basic /, ''),
        'base64',
      ).toString();
      if (basic !== `${clientId}:${clientSecret}`) return json(401, { error: 'invalid_client' });
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (
        !grant ||
        form.get('grant_type') !== 'authorization_code' ||
        form.get('redirect_uri') !== grant.redirectURI ||
        createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
      ) {
        return json(400, { error: 'invalid_grant' });
      }
      const accessToken = randomBytes(16).toString('hex');
      tokens.set(accessToken, grant.user);
      const idToken = await new SignJWT({ ...grant.user })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(state.nextAudience ?? clientId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      state.nextAudience = undefined;
      return json(200, {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: `r-${accessToken}`,
        id_token: idToken,
      });
    }
    if (url.pathname === '/userinfo') {
      const user = tokens.get(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
      return user ? json(200, user) : json(401, { error: 'invalid_token' });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    get issuer() {
      return issuer;
    },
    clientId,
    clientSecret,
    get nextAudience() {
      return state.nextAudience;
    },
    set nextAudience(v) {
      state.nextAudience = v;
    },
    async authorize(authURL, user) {
      pendingUser = user;
      const res = await fetch(authURL, { redirect: 'manual' });
      pendingUser = undefined;
      const location = res.headers.get('location');
      if (res.status !== 302 || !location)
        throw new Error(`authorize failed: ${res.status} ${await res.text()}`);
      const back = new URL(location);
      return {
        code: back.searchParams.get('code') ?? '',
        state: back.searchParams.get('state') ?? '',
        redirect: `${back.origin}${back.pathname}`,
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
