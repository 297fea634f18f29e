import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { DIALECTS, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';
import { createUsersCollection, USER_PASSWORD } from '../support/auth-users.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

/** An SDK client that signs in with its own User-Agent (another "device"). */
function device(url: string, userAgent: string): PocketBase {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  pb.beforeSend = (u, options) => {
    options.headers = { ...options.headers, 'User-Agent': userAgent };
    return { url: u, options };
  };
  return pb;
}

for (const dialect of DIALECTS) {
  describe(`auth alerts and _authOrigins (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    let root: PocketBase;
    before(async () => {
      smtp = await startSmtpCatcher();
      t = await startTestApp(dialect, { ...smtp.config, appName: 'Acme' });
      await createUsersCollection(t);
      root = new PocketBase(t.url);
      root.autoCancellation(false);
      await root.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    const signUp = async (email: string) => {
      await device(t.url, 'setup').collection('users').create({
        email,
        password: USER_PASSWORD,
        passwordConfirm: USER_PASSWORD,
      });
    };
    const noMail = (email: string) => assert.rejects(smtp.waitForMail(email, 300));

    test('_authOrigins is a system collection with PocketBase fields and owner rules', async () => {
      const c = await root.collections.getOne('_authOrigins');
      assert.equal(c.system, true);
      assert.equal(c.type, 'base');
      assert.deepEqual(
        c.fields.map((f) => f.name),
        ['id', 'collectionRef', 'recordRef', 'fingerprint', 'created', 'updated'],
      );
      const owner =
        "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";
      assert.deepEqual(
        [c.listRule, c.viewRule, c.createRule, c.updateRule, c.deleteRule],
        [owner, owner, null, null, owner],
      );
      const listed = await root.collections.getFullList({ filter: 'system = true', sort: 'name' });
      assert.deepEqual(
        listed.map((x) => x.name),
        ['_authOrigins', '_externalAuths', '_mfas', '_otps', '_superusers'],
      );
      await assert.rejects(root.collections.delete('_authOrigins'), ClientResponseError);
    });

    test('the first sign-in records its origin without a mail; a new device gets the alert', async () => {
      await signUp('alice@example.com');
      const laptop = device(t.url, 'Laptop/1.0');
      const auth = await laptop.collection('users').authWithPassword('alice@example.com', USER_PASSWORD);
      await noMail('alice@example.com');
      // the same device again: no mail
      await laptop.collection('users').authWithPassword('alice@example.com', USER_PASSWORD);
      await noMail('alice@example.com');
      const mine = await laptop.collection('_authOrigins').getFullList();
      assert.equal(mine.length, 1);
      assert.equal(mine[0]?.recordRef, auth.record.id);
      assert.equal(mine[0]?.collectionRef, auth.record.collectionId);
      assert.match(String(mine[0]?.fingerprint), /^[0-9a-f]{32}$/);

      const phone = device(t.url, 'Phone <b>2.0</b>');
      await phone.collection('users').authWithPassword('alice@example.com', USER_PASSWORD);
      const mail = await smtp.waitForMail('alice@example.com');
      assert.equal(mail.subject, 'Login from a new location');
      assert.match(mail.text, /We noticed a login to your Acme account from a new location:/);
      assert.match(mail.text, /127\.0\.0\.1 Phone &lt;b&gt;2\.0&lt;\/b&gt;/);
      assert.equal((await phone.collection('_authOrigins').getFullList()).length, 2);
      // a token refresh is not a sign-in: no origin, no mail
      await device(t.url, 'Tablet')
        .collection('users')
        .authRefresh({ headers: { Authorization: auth.token } });
      await noMail('alice@example.com');
    });

    test('superusers list, view and delete origins; a deleted origin alerts again', async () => {
      const all = await root.collection('_authOrigins').getFullList({ filter: "fingerprint != ''" });
      assert.ok(all.length >= 2);
      const one = all[0]!;
      assert.equal((await root.collection('_authOrigins').getOne(one.id)).id, one.id);
      // another user sees none of them
      await signUp('bob@example.com');
      const bob = device(t.url, 'Bob');
      await bob.collection('users').authWithPassword('bob@example.com', USER_PASSWORD);
      const bobs = await bob.collection('_authOrigins').getFullList();
      assert.deepEqual(
        bobs.map((o) => o.recordRef),
        [bob.authStore.record?.id],
      );
      await assert.rejects(
        bob.collection('_authOrigins').getOne(one.id),
        (e: ClientResponseError) => e.status === 404,
      );
      // nobody but superusers creates one
      await assert.rejects(
        bob.collection('_authOrigins').create({ collectionRef: 'x', recordRef: 'y', fingerprint: 'z' }),
        (e: ClientResponseError) => e.status === 403,
      );
      // forgetting the laptop: signing in from it alerts again
      const laptopPrint = (
        await device(t.url, 'x').collection('users').authWithPassword('alice@example.com', USER_PASSWORD)
      ).record.id;
      await smtp.waitForMail('alice@example.com');
      const alices = await root
        .collection('_authOrigins')
        .getFullList({ filter: `recordRef = '${laptopPrint}'` });
      for (const o of alices) await root.collection('_authOrigins').delete(o.id);
      const laptop = device(t.url, 'Laptop/1.0');
      await laptop.collection('users').authWithPassword('alice@example.com', USER_PASSWORD);
      // no origins left: this counts as a first sign-in again (no mail), like PocketBase
      await noMail('alice@example.com');
      await device(t.url, 'Phone <b>2.0</b>')
        .collection('users')
        .authWithPassword('alice@example.com', USER_PASSWORD);
      await smtp.waitForMail('alice@example.com');
    });

    test('at most five origins are kept; a password change forgets them all', async () => {
      await signUp('carol@example.com');
      for (let i = 0; i < 7; i++)
        await device(t.url, `Device ${i}`)
          .collection('users')
          .authWithPassword('carol@example.com', USER_PASSWORD);
      const carol = device(t.url, 'Device 6');
      const auth = await carol.collection('users').authWithPassword('carol@example.com', USER_PASSWORD);
      const origins = await carol.collection('_authOrigins').getFullList();
      assert.equal(origins.length, 5);
      await carol.collection('users').update(auth.record.id, {
        oldPassword: USER_PASSWORD,
        password: 'another-password-1',
        passwordConfirm: 'another-password-1',
      });
      const left = await root
        .collection('_authOrigins')
        .getFullList({ filter: `recordRef = '${auth.record.id}'` });
      assert.equal(left.length, 0);
      // deleting the record drops its origins too
      await device(t.url, 'Device 1')
        .collection('users')
        .authWithPassword('carol@example.com', 'another-password-1');
      await root.collection('users').delete(auth.record.id);
      const gone = await root
        .collection('_authOrigins')
        .getFullList({ filter: `recordRef = '${auth.record.id}'` });
      assert.equal(gone.length, 0);
    });

    test('authAlert.enabled = false: origins are not recorded, no mail', async () => {
      await root.collections.update('users', { authAlert: { enabled: false } });
      await signUp('dave@example.com');
      await device(t.url, 'A').collection('users').authWithPassword('dave@example.com', USER_PASSWORD);
      await device(t.url, 'B').collection('users').authWithPassword('dave@example.com', USER_PASSWORD);
      await noMail('dave@example.com');
      const id = (await root.collection('users').getFirstListItem("email = 'dave@example.com'")).id;
      assert.equal(
        (await root.collection('_authOrigins').getFullList({ filter: `recordRef = '${id}'` })).length,
        0,
      );
    });
  });
}
