import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { createApp } from '../../src/app.ts';
import { adoptExternalAuths } from '../../src/auth/auth-collections.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import { type OidcProvider, type OidcUser, startOidcProvider } from '../support/oidc-provider.ts';
import { clientError } from '../support/sdk.ts';
import { otpFromMail, type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

const REDIRECT = 'http://127.0.0.1:9/oauth2-redirect';
const OWNER =
  "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";

// PocketBase keeps OAuth2 links, MFA sign-ins and OTPs as system collections its SDK reads
// through the records API (listExternalAuths, unlinkExternalAuth): so does ForgeBase
for (const dialect of DIALECTS) {
  describe(`_externalAuths, _mfas and _otps (${dialect})`, () => {
    let t: TestApp;
    let idp: OidcProvider;
    let smtp: SmtpCatcher;
    let root: PocketBase;
    before(async () => {
      idp = await startOidcProvider();
      smtp = await startSmtpCatcher();
      t = await startTestApp(dialect, smtp.config);
      root = new PocketBase(t.url);
      root.authStore.save(t.superuserToken);
      await t.createCollection({
        name: 'users',
        type: 'auth',
        createRule: '',
        viewRule: 'id = @request.auth.id',
        otp: { enabled: true },
        mfa: { enabled: false },
        oauth2: {
          enabled: true,
          providers: [
            { name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, issuer: idp.issuer },
          ],
        },
      });
    });
    after(async () => {
      await t.close();
      await idp.close();
      await smtp.close();
    });

    /** Signs in through the provider with the SDK's code flow; returns a client holding the session. */
    const oauth2 = async (user: OidcUser) => {
      const pb = new PocketBase(t.url);
      const methods = await pb.collection('users').listAuthMethods();
      const p = methods.oauth2.providers[0]!;
      const back = await idp.authorize(p.authURL + encodeURIComponent(REDIRECT), user);
      await pb.collection('users').authWithOAuth2Code(p.name, back.code, p.codeVerifier, REDIRECT);
      return pb;
    };

    test('they are system collections with PocketBase fields and rules', async () => {
      const fieldsOf = async (name: string) => {
        const c = await root.collections.getOne(name);
        assert.equal(c.system, true);
        return {
          fields: c.fields.map((f) => `${f.name}:${f.type}${f.hidden ? ':hidden' : ''}`),
          rules: [c.listRule, c.viewRule, c.createRule, c.updateRule, c.deleteRule],
        };
      };
      const refs = ['id:text', 'collectionRef:text', 'recordRef:text'];
      const dates = ['created:autodate', 'updated:autodate'];
      assert.deepEqual(await fieldsOf('_externalAuths'), {
        fields: [...refs, 'provider:text', 'providerId:text', ...dates],
        rules: [OWNER, OWNER, null, null, OWNER],
      });
      assert.deepEqual(await fieldsOf('_mfas'), {
        fields: [...refs, 'method:text', ...dates],
        rules: [OWNER, OWNER, null, null, null],
      });
      assert.deepEqual(await fieldsOf('_otps'), {
        fields: [...refs, 'password:password:hidden', 'sentTo:text:hidden', ...dates],
        rules: [OWNER, OWNER, null, null, null],
      });
      for (const name of ['_externalAuths', '_mfas', '_otps'])
        assert.equal((await clientError(() => root.collections.delete(name))).status, 400);
    });

    test("the SDK's listExternalAuths and unlinkExternalAuth work on an owner's links only", async () => {
      const ann = await oauth2({ sub: 'sub-ann', email: 'ann@example.com', email_verified: true });
      const bob = await oauth2({ sub: 'sub-bob', email: 'bob@example.com', email_verified: true });
      const annId = ann.authStore.record!.id;
      const links = await ann.collection('users').listExternalAuths(annId);
      assert.deepEqual(
        links.map((l) => [l.provider, l.providerId, l.recordRef, l.collectionRef]),
        [['oidc', 'sub-ann', annId, ann.authStore.record!.collectionId]],
      );
      // another record sees nothing of ann's, and cannot remove it
      assert.deepEqual(await bob.collection('users').listExternalAuths(annId), []);
      assert.equal(
        (await clientError(() => bob.collection('_externalAuths').getOne(links[0]!.id))).status,
        404,
      );
      assert.equal(
        (await clientError(() => bob.collection('_externalAuths').delete(links[0]!.id))).status,
        404,
      );
      // nobody creates or edits links through the API, not even their owner
      assert.equal(
        (
          await clientError(() =>
            ann.collection('_externalAuths').create({
              collectionRef: links[0]!.collectionRef,
              recordRef: annId,
              provider: 'x',
              providerId: 'y',
            }),
          )
        ).status,
        403,
      );
      assert.equal(await ann.collection('users').unlinkExternalAuth(annId, 'oidc'), true);
      assert.deepEqual(await ann.collection('users').listExternalAuths(annId), []);
      // unlinked: the identity signs in as the same email's record again, linking anew
      const again = await oauth2({ sub: 'sub-ann', email: 'ann@example.com', email_verified: true });
      assert.equal(again.authStore.record!.id, annId);
      assert.equal(
        (await root.collection('_externalAuths').getFullList({ filter: `recordRef = '${annId}'` })).length,
        1,
      );
    });

    test('an OTP is a _otps record: superusers see where it went, never its hash; it is spent once', async () => {
      const pb = new PocketBase(t.url);
      await pb.collection('users').create({
        email: 'otp@example.com',
        password: USER_PASSWORD,
        passwordConfirm: USER_PASSWORD,
      });
      const { otpId } = await pb.collection('users').requestOTP('otp@example.com');
      const code = otpFromMail(await smtp.waitForMail('otp@example.com'));
      const row = await root.collection('_otps').getOne(otpId);
      assert.equal(row.sentTo, 'otp@example.com');
      assert.equal('password' in row, false);
      // anonymous clients see no OTPs
      assert.equal((await new PocketBase(t.url).collection('_otps').getList()).totalItems, 0);
      await pb.collection('users').authWithOTP(otpId, code);
      assert.equal((await clientError(() => root.collection('_otps').getOne(otpId))).status, 404);
      assert.equal((await clientError(() => pb.collection('users').authWithOTP(otpId, code))).status, 400);
    });

    test('a pending MFA sign-in is a _mfas record the owner can list', async () => {
      const c = await root.collections.create({
        name: 'guarded',
        type: 'auth',
        createRule: '',
        listRule: 'id = @request.auth.id',
        otp: { enabled: true },
        mfa: { enabled: true },
      });
      const pb = new PocketBase(t.url);
      const user = await pb.collection('guarded').create({
        email: 'mfa@example.com',
        password: USER_PASSWORD,
        passwordConfirm: USER_PASSWORD,
      });
      const first = await clientError(() =>
        pb.collection('guarded').authWithPassword('mfa@example.com', USER_PASSWORD),
      );
      assert.equal(first.status, 401);
      const mfaId = String(first.response.mfaId);
      const mfa = await root.collection('_mfas').getOne(mfaId);
      assert.deepEqual([mfa.method, mfa.recordRef, mfa.collectionRef], ['password', user.id, c.id]);
      // deleting the record takes its MFA sign-ins and OTPs with it
      const { otpId } = await pb.collection('guarded').requestOTP('mfa@example.com');
      await root.collection('guarded').delete(user.id);
      assert.equal((await clientError(() => root.collection('_mfas').getOne(mfaId))).status, 404);
      assert.equal((await clientError(() => root.collection('_otps').getOne(otpId))).status, 404);
    });

    test("deleting an auth collection removes its records' rows in every per-record collection", async () => {
      const c = await root.collections.create({
        name: 'temps',
        type: 'auth',
        createRule: '',
        otp: { enabled: true },
        authAlert: { enabled: true },
      });
      const pb = new PocketBase(t.url);
      await pb.collection('temps').create({
        email: 'temp@example.com',
        password: USER_PASSWORD,
        passwordConfirm: USER_PASSWORD,
      });
      await pb.collection('temps').authWithPassword('temp@example.com', USER_PASSWORD);
      await pb.collection('temps').requestOTP('temp@example.com');
      await smtp.waitForMail('temp@example.com');
      const count = async (name: string) =>
        (await root.collection(name).getList(1, 1, { filter: `collectionRef = '${c.id}'` })).totalItems;
      assert.deepEqual([await count('_authOrigins'), await count('_otps')], [1, 1]);
      await root.collections.delete('temps');
      assert.deepEqual([await count('_authOrigins'), await count('_otps')], [0, 0]);
    });

    test('links kept in the former _external_auths table move into _externalAuths at start', async () => {
      const users = await root.collections.getOne('users');
      const db = t.app.db;
      await db.exec(`CREATE TABLE _external_auths (
        id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
        provider TEXT NOT NULL, provider_id TEXT NOT NULL, created TEXT NOT NULL)`);
      await db.run(
        db.qb.insertInto('_external_auths').values({
          id: 'legacylink00001',
          collection_ref: users.id,
          record_ref: 'legacyrecord001',
          provider: 'oidc',
          provider_id: 'sub-legacy',
          created: '2026-01-02 03:04:05.000Z',
        }),
      );
      await t.app.stop();
      // a restart moves them; a second pass has nothing left to do
      const restarted = await createApp(t.config, { logger: silentLogger() });
      try {
        assert.equal(await restarted.db.ddl.hasTable(restarted.db, '_external_auths'), false);
        const moved = await restarted.records.asSystem().view('_externalAuths', 'legacylink00001');
        assert.deepEqual(
          [moved.collectionRef, moved.recordRef, moved.provider, moved.providerId, moved.created],
          [users.id, 'legacyrecord001', 'oidc', 'sub-legacy', '2026-01-02 03:04:05.000Z'],
        );
        assert.equal(await adoptExternalAuths(restarted.db), 0);
      } finally {
        await restarted.stop();
      }
    });
  });
}
