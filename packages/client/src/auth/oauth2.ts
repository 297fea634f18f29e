import { ClientError } from '../errors.ts';
import type { Transport } from '../http/transport.ts';
import { SseConnection } from '../realtime/sse.ts';
import type { RecordModel } from '../types.ts';
import type { AuthCollection, AuthResult } from './auth-collection.ts';

/** Options of the one-call OAuth2 sign-in. */
export interface OAuth2PopupOptions {
  /** A provider name from `listAuthMethods()` (`google`, `oidc`, …). */
  provider: string;
  /** Extra scopes, added to the provider's defaults. */
  scopes?: string[];
  /** Fields of a record created by this sign-in. */
  createData?: Record<string, unknown>;
  /** Opens the provider's page yourself (a webview, a test); the default is a browser popup. */
  urlCallback?: (url: string) => void | Promise<void>;
  mfaId?: string;
  /** How long to wait for the redirect (default 5 minutes). */
  timeoutMs?: number;
}

/**
 * The code flow's first step, for apps that redirect the whole page: the provider's URL
 * with `redirectURL` appended, and what to keep (`state`, `codeVerifier`) for the last
 * step, `authWithOAuth2Code`, after checking the returned `state`.
 */
export async function oauth2CodeFlow(
  collection: AuthCollection<any>,
  provider: string,
  redirectURL: string,
): Promise<{ url: string; state: string; codeVerifier: string }> {
  const p = (await collection.listAuthMethods()).oauth2.providers.find((x) => x.name === provider);
  if (!p) throw new ClientError(400, `The OAuth2 provider ${provider} is not enabled.`);
  return { url: p.authURL + encodeURIComponent(redirectURL), state: p.state, codeVerifier: p.codeVerifier };
}

const popupWindow = () => {
  const w = (globalThis as { window?: Window }).window;
  // opened at once, before any await, so the browser counts it as the user's click
  return w?.open?.('', 'forgebase-oauth2', 'width=1024,height=768,popup=yes') ?? null;
};

/**
 * The popup flow, as PocketBase's SDK does it: a realtime (SSE) client subscribes to
 * `@oauth2`, the provider's page opens with that client's id as `state` and
 * `/api/oauth2-redirect` as the redirect, the server hands the code to that client, and
 * the sign-in finishes with `auth-with-oauth2`.
 */
export async function authWithOAuth2<R = RecordModel>(
  transport: Transport,
  collection: AuthCollection<R, any, any>,
  o: OAuth2PopupOptions,
): Promise<AuthResult<R>> {
  const popup = o.urlCallback ? null : popupWindow();
  let got: (m: { state?: string; code?: string; error?: string }) => void = () => {};
  const message = new Promise<{ state?: string; code?: string; error?: string }>((r) => {
    got = r;
  });
  const sse = new SseConnection(transport, (m) => {
    if (m.event === '@oauth2') got(JSON.parse(m.data) as { state?: string; code?: string });
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const methods = await collection.listAuthMethods();
    const p = methods.oauth2.providers.find((x) => x.name === o.provider);
    if (!p) throw new ClientError(400, `The OAuth2 provider ${o.provider} is not enabled.`);
    const { clientId } = await sse.connect();
    await sse.setTopics(['@oauth2']);
    const redirectURL = transport.url('/api/oauth2-redirect');
    const url = new URL(p.authURL + encodeURIComponent(redirectURL));
    url.searchParams.set('state', clientId);
    if (o.scopes?.length) {
      const scopes = new Set([
        ...(url.searchParams.get('scope') ?? '').split(' ').filter(Boolean),
        ...o.scopes,
      ]);
      url.searchParams.set('scope', [...scopes].join(' '));
    }
    const timeout = new Promise<never>((_r, reject) => {
      timer = setTimeout(
        () => reject(new ClientError(0, 'The OAuth2 sign-in timed out.', { code: 'aborted' })),
        o.timeoutMs ?? 300_000,
      );
    });
    if (o.urlCallback) await o.urlCallback(url.toString());
    else if (popup) popup.location.href = url.toString();
    else throw new ClientError(0, 'No popup could be opened: pass urlCallback.', { code: 'aborted' });
    const m = await Promise.race([message, timeout]);
    if (m.state !== clientId) throw new ClientError(400, 'The OAuth2 state does not match.');
    if (m.error || !m.code) throw new ClientError(400, `OAuth2 sign-in failed: ${m.error ?? 'no code'}.`);
    return await collection.authWithOAuth2Code(p.name, m.code, p.codeVerifier, redirectURL, o.createData, {
      ...(o.mfaId ? { mfaId: o.mfaId } : {}),
    });
  } finally {
    clearTimeout(timer);
    sse.close();
    popup?.close();
  }
}
