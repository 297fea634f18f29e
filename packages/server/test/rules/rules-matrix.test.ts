import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { NOT_FOUND } from '../support/expect.ts';

// PocketBase's access rules (pb-spec §4): list narrows to matching records, view/update/delete
// of a hidden record is a 404, a failing createRule is a 400, superusers bypass every rule.

const CREATE_FAILED = { data: {}, message: 'Failed to create record.', status: 400 };

for (const dialect of DIALECTS) {
  describe(`rules matrix on an owned collection (${dialect})`, () => {
    let t: TestApp;
    let a: TestUser;
    let b: TestUser;
    /** Seeded notes: a1 public and a2 private of A, b1 private and b2 public of B. */
    const ids: Record<string, string> = {};
    /** Every actor: anonymous, two users and the superuser. */
    const actors = (): Record<string, string | undefined> => ({
      anonymous: undefined,
      A: a.token,
      B: b.token,
      superuser: 'superuser',
    });

    async function addNote(owner: TestUser, title: string, priv: boolean): Promise<string> {
      const res = await t.request('POST', '/api/collections/notes/records', {
        token: 'superuser',
        body: { owner: owner.id, title, private: priv },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.id;
    }

    before(async () => {
      t = await startTestApp(dialect);
      const users = await createUsersCollection(t);
      a = await createUser(t, 'a@example.com');
      b = await createUser(t, 'b@example.com');
      await t.createCollection({
        name: 'notes',
        listRule: 'private = false || owner = @request.auth.id',
        viewRule: 'private = false || owner = @request.auth.id',
        createRule: "@request.auth.id != '' && owner = @request.auth.id",
        updateRule: 'owner = @request.auth.id && @request.body.owner:isset = false',
        deleteRule: 'owner = @request.auth.id',
        fields: [
          { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
          { name: 'title', type: 'text' },
          { name: 'private', type: 'bool' },
        ],
      });
      ids.a1 = await addNote(a, 'a1', false);
      ids.a2 = await addNote(a, 'a2', true);
      ids.b1 = await addNote(b, 'b1', true);
      ids.b2 = await addNote(b, 'b2', false);
    });
    after(() => t.close());

    const seeded = (titles: string[]) => titles.map((k) => ids[k]);

    test('list returns exactly the records each actor may see (200, never 403)', async () => {
      const expected: Record<string, string[]> = {
        anonymous: ['a1', 'b2'],
        A: ['a1', 'a2', 'b2'],
        B: ['a1', 'b1', 'b2'],
        superuser: ['a1', 'a2', 'b1', 'b2'],
      };
      for (const [actor, token] of Object.entries(actors())) {
        const filter = encodeURIComponent(`id = '${Object.values(ids).join("' || id = '")}'`);
        const res = await t.request('GET', `/api/collections/notes/records?filter=${filter}`, {
          ...(token ? { token } : {}),
        });
        assert.equal(res.status, 200, `${actor}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(
          res.body.items.map((r: { id: string }) => r.id),
          seeded(expected[actor]!),
          actor,
        );
        assert.equal(res.body.totalItems, expected[actor]!.length, actor);
      }
    });

    test('a list filter cannot widen what the listRule allows', async () => {
      const filter = encodeURIComponent('private = true || private = false || id != ""');
      const res = await t.request('GET', `/api/collections/notes/records?filter=${filter}`, {
        token: a.token,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.items
          .map((r: { id: string }) => r.id)
          .filter((id: string) => Object.values(ids).includes(id)),
        seeded(['a1', 'a2', 'b2']),
      );
    });

    test('view answers 200 for a visible record and 404 for a hidden one', async () => {
      const visible: Record<string, string[]> = {
        anonymous: ['a1', 'b2'],
        A: ['a1', 'a2', 'b2'],
        B: ['a1', 'b1', 'b2'],
        superuser: ['a1', 'a2', 'b1', 'b2'],
      };
      for (const [actor, token] of Object.entries(actors())) {
        for (const [key, id] of Object.entries(ids)) {
          const res = await t.request('GET', `/api/collections/notes/records/${id}`, {
            ...(token ? { token } : {}),
          });
          if (visible[actor]!.includes(key)) {
            assert.equal(res.status, 200, `${actor} views ${key}`);
            assert.equal(res.body.id, id);
            assert.equal(res.body.title, key);
          } else {
            assert.equal(res.status, 404, `${actor} views ${key}`);
            assert.deepEqual(res.body, NOT_FOUND);
          }
        }
      }
    });

    test('create checks the rule against the would-be record', async () => {
      const create = (token: string | undefined, owner: string) =>
        t.request('POST', '/api/collections/notes/records', {
          ...(token ? { token } : {}),
          body: { owner, title: 'new', private: true },
        });
      // anonymous: no auth id, so the rule fails whatever the owner
      for (const owner of [a.id, '']) {
        const res = await create(undefined, owner);
        assert.deepEqual(res.body, CREATE_FAILED);
        assert.equal(res.status, 400);
      }
      // a user may create its own notes only
      const own = await create(a.token, a.id);
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.equal(own.body.owner, a.id);
      const forged = await create(a.token, b.id);
      assert.equal(forged.status, 400);
      assert.deepEqual(forged.body, CREATE_FAILED);
      const ownerless = await create(b.token, '');
      assert.deepEqual(ownerless.body, CREATE_FAILED);
      // the superuser bypasses the rule
      const bySuperuser = await create('superuser', b.id);
      assert.equal(bySuperuser.status, 200);
      assert.equal(bySuperuser.body.owner, b.id);
    });

    test('a create the rule rejects stores nothing', async () => {
      const before = await t.request('GET', '/api/collections/notes/records?perPage=1', {
        token: 'superuser',
      });
      const res = await t.request('POST', '/api/collections/notes/records', {
        token: a.token,
        body: { owner: b.id, title: 'forged' },
      });
      assert.equal(res.status, 400);
      const filter = encodeURIComponent("title = 'forged'");
      const after = await t.request('GET', `/api/collections/notes/records?filter=${filter}`, {
        token: 'superuser',
      });
      assert.equal(after.body.totalItems, 0);
      const total = await t.request('GET', '/api/collections/notes/records?perPage=1', {
        token: 'superuser',
      });
      assert.equal(total.body.totalItems, before.body.totalItems);
    });

    test('update answers 404 when the rule hides the record or rejects the body', async () => {
      const mine = await addNote(a, 'mine', true);
      const theirs = await addNote(b, 'theirs', false);
      const patch = (token: string | undefined, id: string, body: Record<string, unknown>) =>
        t.request('PATCH', `/api/collections/notes/records/${id}`, { ...(token ? { token } : {}), body });
      for (const [who, token, id] of [
        ['anonymous', undefined, mine],
        ['B on A', b.token, mine],
        ['A on B', a.token, theirs],
      ] as const) {
        const res = await patch(token, id, { title: 'hacked' });
        assert.equal(res.status, 404, who);
        assert.deepEqual(res.body, NOT_FOUND);
      }
      // sending owner at all (even unchanged) fails `@request.body.owner:isset = false`
      for (const owner of [a.id, b.id]) {
        const res = await patch(a.token, mine, { owner });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, NOT_FOUND);
      }
      const ok = await patch(a.token, mine, { title: 'edited' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.title, 'edited');
      assert.equal(ok.body.owner, a.id);
      const bySuperuser = await patch('superuser', theirs, { owner: a.id, title: 'moved' });
      assert.equal(bySuperuser.status, 200);
      assert.equal(bySuperuser.body.owner, a.id);
      const stored = await t.request('GET', `/api/collections/notes/records/${mine}`, { token: 'superuser' });
      assert.equal(stored.body.title, 'edited');
    });

    test('delete answers 404 unless the actor owns the record', async () => {
      const mine = await addNote(a, 'to delete', false);
      for (const token of [undefined, b.token]) {
        const res = await t.request('DELETE', `/api/collections/notes/records/${mine}`, {
          ...(token ? { token } : {}),
        });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, NOT_FOUND);
      }
      const still = await t.request('GET', `/api/collections/notes/records/${mine}`);
      assert.equal(still.status, 200);
      const ok = await t.request('DELETE', `/api/collections/notes/records/${mine}`, { token: a.token });
      assert.equal(ok.status, 204);
      assert.equal(ok.body, undefined);
      const gone = await t.request('GET', `/api/collections/notes/records/${mine}`, { token: 'superuser' });
      assert.equal(gone.status, 404);
      const theirs = await addNote(b, 'superuser deletes', true);
      const bySuperuser = await t.request('DELETE', `/api/collections/notes/records/${theirs}`, {
        token: 'superuser',
      });
      assert.equal(bySuperuser.status, 204);
    });

    test('an invalid or forged token is treated as anonymous', async () => {
      const forged = `${a.token.slice(0, -4)}AAAA`;
      const res = await t.request('GET', `/api/collections/notes/records/${ids.a2}`, { token: forged });
      assert.equal(res.status, 404);
      const list = await t.request('GET', '/api/collections/notes/records', { token: 'not-a-jwt' });
      assert.equal(list.status, 200);
      assert.ok(!list.body.items.some((r: { id: string }) => r.id === ids.a2 || r.id === ids.b1));
    });
  });
}
