import type {
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors/api-error.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { Clock } from '../tools/clock.ts';
import { formatDate, nowDate } from '../tools/time.ts';
import { createPasskeyStore, type PasskeyRow } from './passkey-store.ts';
import { type AuthResult, requireSameCollectionAuth, type SignIn, type SignInContext } from './sign-in.ts';

// @simplewebauthn/server (and its ASN.1 stack) loads on the first passkey request
const webauthn = () => import('@simplewebauthn/server');

/** How long a registration or sign-in ceremony may take. */
const CHALLENGE_SECONDS = 300;
const FAILED = 'Failed to authenticate.';

type Json = Record<string, unknown>;

/**
 * ForgeBase's passkeys (WebAuthn, via `@simplewebauthn/server`): a signed-in record
 * registers authenticators; anyone may then sign in with one (discoverable credentials,
 * no email needed). Challenges are stored and spent once; attestation is `none`. User
 * verification (PIN or biometric) is required, at registration and at every sign-in: a
 * passkey then stands for something held and something known, not a touch alone.
 * The relying party is `passkeyAuth.rpId`/`origins`, or else the host of `app_url`.
 */
export function createPasskeyFlow(deps: {
  db: Database;
  config: Config;
  records: RecordService;
  signIn: SignIn;
  clock: Clock;
  authCollection(name: string): Collection;
  findCollection(idOrName: string): Collection | undefined;
}) {
  const { config, records, signIn, clock } = deps;
  const store = createPasskeyStore(deps.db, clock);

  /** The collection and its relying party, when passkeys are on. */
  function party(name: string) {
    const c = deps.authCollection(name);
    const o = c.passkeyAuth;
    if (!o?.enabled || c.name === SUPERUSERS)
      throw new ForbiddenError('The collection is not configured to allow passkey authentication.');
    const app = new URL(config.appUrl || 'http://localhost');
    return {
      c,
      rpID: o.rpId || app.hostname,
      rpName: o.rpName || config.appName || 'ForgeBase',
      origins: o.origins?.length ? o.origins : [app.origin],
    };
  }

  /** The signed-in record of the route's collection. */
  function owner(collection: string, viewer: Viewer) {
    requireSameCollectionAuth(viewer, deps.findCollection(collection));
    const p = party(collection);
    return { ...p, id: String(viewer.authId), record: viewer.auth?.record ?? {} };
  }

  const responseOf = (body: Json): Json =>
    body.response && typeof body.response === 'object' ? (body.response as Json) : body;

  const toJSON = (row: PasskeyRow) => ({
    id: row.id,
    name: row.name,
    created: row.created,
    lastUsed: row.last_used,
  });

  return {
    /** POST passkeys/register-options (signed in): WebAuthn creation options for the browser. */
    async registerOptions(collection: string, viewer: Viewer): Promise<Json> {
      const { c, rpID, rpName, id, record } = owner(collection, viewer);
      const existing = await store.listByRecord(c.id, id);
      const options = await (await webauthn()).generateRegistrationOptions({
        rpName,
        rpID,
        userName: String(record.email || record.username || id),
        userID: new TextEncoder().encode(id),
        attestationType: 'none',
        excludeCredentials: existing.map((k) => ({ id: k.id, transports: JSON.parse(k.transports) })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      await store.addChallenge(options.challenge, 'register', c.id, id);
      return options as unknown as Json;
    },

    /** POST passkeys/register `{response, name?}` (signed in): stores the new credential. */
    async register(collection: string, body: Json, viewer: Viewer): Promise<Json> {
      const { c, rpID, origins, id } = owner(collection, viewer);
      let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
      try {
        const result = await (await webauthn()).verifyRegistrationResponse({
          response: responseOf(body) as unknown as RegistrationResponseJSON,
          expectedChallenge: (ch) => store.spendChallenge(ch, 'register', c.id, id, CHALLENGE_SECONDS),
          expectedOrigin: origins,
          expectedRPID: rpID,
          requireUserVerification: true,
        });
        info = result.registrationInfo;
      } catch (e) {
        throw new BadRequestError('Failed to verify the passkey.', {}, { cause: e });
      }
      if (!info) throw new BadRequestError('Failed to verify the passkey.');
      const cred = info.credential;
      if (await store.find(c.id, cred.id)) throw new BadRequestError('The passkey is already registered.');
      const row: PasskeyRow = {
        id: cred.id,
        collection_ref: c.id,
        record_ref: id,
        public_key: Buffer.from(cred.publicKey).toString('base64url'),
        counter: cred.counter,
        transports: JSON.stringify(cred.transports ?? []),
        name: typeof body.name === 'string' && body.name.trim() ? body.name.trim().slice(0, 100) : 'Passkey',
        created: nowDate(clock.now()),
        last_used: '',
      };
      await store.add(row);
      return toJSON(row);
    },

    /** GET passkeys (signed in): the record's passkeys. */
    async list(collection: string, viewer: Viewer): Promise<{ items: Json[] }> {
      const { c, id } = owner(collection, viewer);
      return { items: (await store.listByRecord(c.id, id)).map(toJSON) };
    },

    /** DELETE passkeys/{id} (signed in): forgets one of the record's passkeys. */
    async remove(collection: string, credentialId: string, viewer: Viewer): Promise<void> {
      const { c, id } = owner(collection, viewer);
      if (!(await store.delete(c.id, id, credentialId))) throw new NotFoundError();
    },

    /** POST auth-with-passkey/options: WebAuthn request options (any discoverable credential). */
    async authOptions(collection: string): Promise<Json> {
      const { c, rpID } = party(collection);
      const options = await (await webauthn()).generateAuthenticationOptions({
        rpID,
        userVerification: 'required',
      });
      await store.addChallenge(options.challenge, 'authenticate', c.id, '');
      return options as unknown as Json;
    },

    /** POST auth-with-passkey `{response}`: an assertion signs in as the credential's record. */
    async authWithPasskey(collection: string, body: Json, ctx: SignInContext): Promise<AuthResult> {
      const { c, rpID, origins } = party(collection);
      const response = responseOf(body) as unknown as AuthenticationResponseJSON;
      const row = typeof response.id === 'string' ? await store.find(c.id, response.id) : undefined;
      const record = row ? await records.findById(c, row.record_ref) : undefined;
      if (!row || !record) throw new BadRequestError(FAILED);
      // the authenticator's user handle, when given, must name the same record
      const handle = response.response?.userHandle;
      if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== row.record_ref)
        throw new BadRequestError(FAILED);
      let newCounter: number;
      try {
        const result = await (await webauthn()).verifyAuthenticationResponse({
          response,
          expectedChallenge: (ch) => store.spendChallenge(ch, 'authenticate', c.id, '', CHALLENGE_SECONDS),
          expectedOrigin: origins,
          expectedRPID: rpID,
          credential: {
            id: row.id,
            publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64url')),
            counter: Number(row.counter),
            transports: JSON.parse(row.transports),
          },
          requireUserVerification: true,
        });
        if (!result.verified) throw new Error('not verified');
        newCounter = result.authenticationInfo.newCounter;
      } catch (e) {
        throw new BadRequestError(FAILED, {}, { cause: e });
      }
      await store.touch(row.id, newCounter);
      return signIn.complete(c, record, 'passkey', ctx);
    },

    /** Drops challenges of ceremonies that were never finished. */
    prune(): Promise<void> {
      return store.prune(formatDate(new Date(clock.now() - CHALLENGE_SECONDS * 1000)));
    },
  };
}
