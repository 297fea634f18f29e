import type { Transport } from '../http/transport.ts';

/** WebAuthn options as the server sends them (JSON, binary fields in base64url). */
export type PasskeyOptionsJSON = Record<string, any> & { challenge: string };

/** A credential as JSON (the shape of `@simplewebauthn/browser`'s results). */
export type PasskeyResponseJSON = Record<string, any> & { id: string; rawId: string; type: string };

/** Runs the WebAuthn ceremony on the server's options and answers the credential as JSON. */
export type Authenticator = (options: PasskeyOptionsJSON) => Promise<PasskeyResponseJSON>;

export interface PasskeyOptions {
  /** Replaces the browser's ceremony (`navigator.credentials`): a native bridge, a test authenticator. */
  authenticator?: Authenticator;
}

const fromB64url = (s: string): ArrayBuffer => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
};

const toB64url = (b: ArrayBuffer | ArrayBufferView | null | undefined): string | undefined => {
  if (!b) return undefined;
  const bytes =
    b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  let bin = '';
  for (const x of bytes) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

const withIds = (list: { id: string }[] | undefined) => list?.map((c) => ({ ...c, id: fromB64url(c.id) }));

/** The server's creation options as `navigator.credentials.create({publicKey})` wants them. */
export function creationOptions(o: PasskeyOptionsJSON): PublicKeyCredentialCreationOptions {
  return {
    ...o,
    challenge: fromB64url(o.challenge),
    user: { ...o.user, id: fromB64url(o.user.id) },
    excludeCredentials: withIds(o.excludeCredentials),
  } as PublicKeyCredentialCreationOptions;
}

/** The server's request options as `navigator.credentials.get({publicKey})` wants them. */
export function requestOptions(o: PasskeyOptionsJSON): PublicKeyCredentialRequestOptions {
  return {
    ...o,
    challenge: fromB64url(o.challenge),
    allowCredentials: withIds(o.allowCredentials),
  } as PublicKeyCredentialRequestOptions;
}

/** A `PublicKeyCredential` from the browser as the JSON the server verifies. */
export function credentialJSON(c: PublicKeyCredential): PasskeyResponseJSON {
  const r = c.response as Partial<AuthenticatorAttestationResponse> & Partial<AuthenticatorAssertionResponse>;
  const response: Record<string, unknown> = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64url(r.attestationObject);
    response.transports = r.getTransports?.() ?? [];
  } else {
    response.authenticatorData = toB64url(r.authenticatorData);
    response.signature = toB64url(r.signature);
    response.userHandle = toB64url(r.userHandle);
  }
  return {
    id: c.id,
    rawId: toB64url(c.rawId) ?? '',
    type: c.type,
    response,
    clientExtensionResults: c.getClientExtensionResults?.() ?? {},
    authenticatorAttachment: c.authenticatorAttachment ?? undefined,
  };
}

const browserCredentials = (): CredentialsContainer => {
  const creds = (globalThis as { navigator?: Navigator }).navigator?.credentials;
  if (!creds) throw new TypeError('No WebAuthn here: pass options.authenticator.');
  return creds;
};

/** The browser ceremony for registering. */
const browserCreate: Authenticator = async (o) =>
  credentialJSON(
    (await browserCredentials().create({ publicKey: creationOptions(o) })) as PublicKeyCredential,
  );

/** The browser ceremony for signing in. */
const browserGet: Authenticator = async (o) =>
  credentialJSON((await browserCredentials().get({ publicKey: requestOptions(o) })) as PublicKeyCredential);

/** Registers a passkey for the signed-in record: options, ceremony, `passkeys/register`. */
export async function passkeyRegister(
  transport: Transport,
  base: string,
  o: PasskeyOptions & { name?: string },
): Promise<{ id: string; name: string; created: string; lastUsed: string }> {
  const options = await transport.send<PasskeyOptionsJSON>(`${base}/passkeys/register-options`, {
    method: 'POST',
    body: {},
  });
  const response = await (o.authenticator ?? browserCreate)(options);
  return transport.send(`${base}/passkeys/register`, {
    method: 'POST',
    body: { response, ...(o.name ? { name: o.name } : {}) },
  });
}

/** The sign-in ceremony: options from the server, then the authenticator's assertion. */
export async function passkeySignIn(transport: Transport, base: string, o: PasskeyOptions) {
  const options = await transport.send<PasskeyOptionsJSON>(`${base}/auth-with-passkey/options`, {
    method: 'POST',
    body: {},
    anonymous: true,
  });
  return (o.authenticator ?? browserGet)(options);
}
