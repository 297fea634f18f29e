import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { NOT_FOUND, NOT_UNIQUE, REQUIRED, SUPERUSERS_ONLY } from '../support/expect.ts';

// Error responses of the records API and the request body formats it accepts, against
// PocketBase (apis/record_crud.go, core/validators/db.go, pb-spec §1.3 and §4).

const NO_COLLECTION = { data: {}, message: 'Missing collection context.', status: 404 };
const UNSUPPORTED = { data: {}, message: 'Unsupported collection type.', status: 400 };
const UNREADABLE = { data: {}, message: 'Failed to read the submitted data.', status: 400 };

for (const dialect of DIALECTS) {
  describe(`records API errors and body formats (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' } as const;
    const notes = '/api/collections/notes/records';

    before(async () => {
      t = await startTestApp(dialect);
      const collections = [
        {
          name: 'notes',
          listRule: '',
          viewRule: '',
          createRule: '',
          updateRule: '',
          deleteRule: '',
          fields: [
            { name: 'title', type: 'text', required: true },
            { name: 'n', type: 'number' },
            { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
            { name: 'meta', type: 'json' },
          ],
        },
        { name: 'locked', fields: [{ name: 'title', type: 'text' }] },
        { name: 'ruled', createRule: 'title = "x"', fields: [{ name: 'title', type: 'text' }] },
        {
          name: 'uniq',
          listRule: '',
          createRule: '',
          updateRule: '',
          fields: [{ name: 'code', type: 'text' }],
          indexes: ['CREATE UNIQUE INDEX idx_uniq_code ON uniq (code)'],
        },
        { name: 'notes_view', type: 'view', listRule: '', viewQuery: 'SELECT id, title FROM notes' },
      ];
      for (const body of collections) await t.createCollection(body);
    });
    after(() => t.close());

    test('every records route answers 404 "Missing collection context." for an unknown collection', async () => {
      const routes: [string, string][] = [
        ['GET', '/api/collections/nope/records'],
        ['POST', '/api/collections/nope/records'],
        ['GET', '/api/collections/nope/records/abc'],
        ['PATCH', '/api/collections/nope/records/abc'],
        ['DELETE', '/api/collections/nope/records/abc'],
      ];
      for (const [method, path] of routes) {
        const res = await t.request(method, path, {
          ...su,
          ...(method === 'POST' || method === 'PATCH' ? { body: {} } : {}),
        });
        assert.deepEqual([res.status, res.body], [404, NO_COLLECTION], `${method} ${path}`);
      }
    });

    test('an unknown record is a 404 for view, update and delete', async () => {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        for (const opts of [su, {}]) {
          const res = await t.request(method, `${notes}/nosuchrecord123`, {
            ...opts,
            ...(method === 'PATCH' ? { body: { title: 'x' } } : {}),
          });
          assert.deepEqual([res.status, res.body], [404, NOT_FOUND], method);
        }
      }
    });

    test('a collection is found by id as well as by name', async () => {
      const c = await t.request('GET', '/api/collections/notes', su);
      const created = await t.request('POST', `/api/collections/${c.body.id}/records`, {
        body: { title: 'by id' },
      });
      assert.equal(created.status, 200);
      assert.equal(created.body.collectionName, 'notes');
      const viewed = await t.request('GET', `/api/collections/${c.body.id}/records/${created.body.id}`);
      assert.deepEqual(viewed.body, created.body);
    });

    test('a null rule is a 403 for anonymous callers on every route', async () => {
      const routes: [string, string, unknown][] = [
        ['GET', '/api/collections/locked/records', undefined],
        ['POST', '/api/collections/locked/records', { title: 'x' }],
        ['GET', '/api/collections/locked/records/nosuchrecord123', undefined],
        ['PATCH', '/api/collections/locked/records/nosuchrecord123', { title: 'x' }],
        ['DELETE', '/api/collections/locked/records/nosuchrecord123', undefined],
      ];
      for (const [method, path, body] of routes) {
        const res = await t.request(method, path, body === undefined ? {} : { body });
        assert.deepEqual([res.status, res.body], [403, SUPERUSERS_ONLY], `${method} ${path}`);
      }
      const asSuperuser = await t.request('POST', '/api/collections/locked/records', {
        ...su,
        body: { title: 'x' },
      });
      assert.equal(asSuperuser.status, 200);
    });

    test('an unsatisfied createRule is a 400 "Failed to create record." with no data', async () => {
      const res = await t.request('POST', '/api/collections/ruled/records', { body: { title: 'y' } });
      assert.deepEqual(res.body, { data: {}, message: 'Failed to create record.', status: 400 });
    });

    test('create, update and delete on a view collection are "Unsupported collection type."', async () => {
      const note = await t.request('POST', notes, { body: { title: 'seen' } });
      const viewPath = '/api/collections/notes_view/records';
      const listed = await t.request('GET', viewPath);
      assert.equal(listed.status, 200);
      assert.ok(listed.body.items.some((i: { id: string }) => i.id === note.body.id));
      for (const opts of [su, {}]) {
        const created = await t.request('POST', viewPath, { ...opts, body: { title: 'x' } });
        assert.deepEqual([created.status, created.body], [400, UNSUPPORTED]);
        const updated = await t.request('PATCH', `${viewPath}/${note.body.id}`, {
          ...opts,
          body: { title: 'x' },
        });
        assert.deepEqual([updated.status, updated.body], [400, UNSUPPORTED]);
        const deleted = await t.request('DELETE', `${viewPath}/${note.body.id}`, opts);
        assert.deepEqual([deleted.status, deleted.body], [400, UNSUPPORTED]);
      }
    });

    // PocketBase answers these from RequestInfo's BindBody error with its default 400 message
    // ("Something went wrong while processing your request."); ForgeBase says "Failed to read
    // the submitted data.". Both are 400 with empty data, which is what clients rely on.
    test('a malformed or non-object JSON body is a 400 with no data, never a 500', async () => {
      const headers = { 'content-type': 'application/json' };
      for (const body of ['{bad json', '[1,2]', '"text"', '42', '{"title":"x"} trailing']) {
        const created = await t.request('POST', notes, { body, headers });
        assert.deepEqual(
          [created.status, created.body.status, created.body.data],
          [400, 400, {}],
          `POST ${body}`,
        );
        assert.equal(typeof created.body.message, 'string');
      }
      const note = await t.request('POST', notes, { body: { title: 'x' } });
      const updated = await t.request('PATCH', `${notes}/${note.body.id}`, { body: '{"title":', headers });
      assert.deepEqual([updated.status, updated.body.data], [400, {}]);
      assert.equal((await t.request('GET', `${notes}/${note.body.id}`)).body.title, 'x');
    });

    test('a JSON null body is an empty body', async () => {
      const headers = { 'content-type': 'application/json' };
      const res = await t.request('POST', notes, { body: 'null', headers });
      assert.deepEqual(res.body, {
        data: { title: REQUIRED },
        message: 'Failed to create record.',
        status: 400,
      });
    });

    test('a UNIQUE index violation is validation_not_unique on that field', async () => {
      const path = '/api/collections/uniq/records';
      const first = await t.request('POST', path, { body: { code: 'same' } });
      assert.equal(first.status, 200);
      const dup = await t.request('POST', path, { body: { code: 'same' } });
      assert.deepEqual(dup.body, {
        data: { code: NOT_UNIQUE },
        message: 'Failed to create record.',
        status: 400,
      });
      const other = await t.request('POST', path, { body: { code: 'other' } });
      const updated = await t.request('PATCH', `${path}/${other.body.id}`, { body: { code: 'same' } });
      assert.deepEqual(updated.body, {
        data: { code: NOT_UNIQUE },
        message: 'Failed to update record.',
        status: 400,
      });
      const list = await t.request('GET', `${path}?sort=code`);
      assert.deepEqual(
        list.body.items.map((i: { code: string }) => i.code),
        ['other', 'same'],
      );
    });

    test('a client-supplied id is used, and a taken one is validation_not_unique on id', async () => {
      const id = 'myownid00000001';
      const created = await t.request('POST', notes, { body: { id, title: 'first' } });
      assert.equal(created.status, 200);
      assert.equal(created.body.id, id);
      const dup = await t.request('POST', notes, { body: { id, title: 'second' } });
      assert.deepEqual(dup.body, {
        data: { id: NOT_UNIQUE },
        message: 'Failed to create record.',
        status: 400,
      });
      assert.equal((await t.request('GET', `${notes}/${id}`)).body.title, 'first');
    });

    test('a client-supplied id must be 15 characters of [a-z0-9]', async () => {
      const short = await t.request('POST', notes, { body: { id: 'short', title: 'x' } });
      assert.deepEqual(short.body.data, {
        id: {
          code: 'validation_min_text_constraint',
          message: 'Must be at least 15 character(s).',
          params: { min: 15 },
        },
      });
      const upper = await t.request('POST', notes, { body: { id: 'UPPERCASEID0001', title: 'x' } });
      assert.deepEqual(upper.body.data, {
        id: { code: 'validation_invalid_format', message: 'Invalid value format.' },
      });
    });

    test('an update cannot change the id', async () => {
      const note = await t.request('POST', notes, { body: { title: 'x' } });
      const res = await t.request('PATCH', `${notes}/${note.body.id}`, {
        body: { id: 'changedid000001', title: 'y' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.id, note.body.id);
      assert.equal((await t.request('GET', `${notes}/changedid000001`)).status, 404);
    });

    test('a multipart form creates a record, with text parts cast to field types', async () => {
      const form = new FormData();
      form.append('title', 'from a form');
      form.append('n', '12.5');
      form.append('tags', 'a');
      form.append('tags', 'c');
      form.append('meta', '{"k":[1]}');
      const res = await t.request('POST', notes, { body: form });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        [res.body.title, res.body.n, res.body.tags, res.body.meta],
        ['from a form', 12.5, ['a', 'c'], { k: [1] }],
      );
    });

    test('a multipart @jsonPayload part is merged with the other parts', async () => {
      const form = new FormData();
      form.append('title', 'plain part');
      form.append('@jsonPayload', JSON.stringify({ n: 7, tags: ['b'], meta: { deep: { ok: true } } }));
      const res = await t.request('POST', notes, { body: form });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        [res.body.title, res.body.n, res.body.tags, res.body.meta],
        ['plain part', 7, ['b'], { deep: { ok: true } }],
      );
      const update = new FormData();
      update.append('@jsonPayload', JSON.stringify({ 'n+': 3 }));
      const patched = await t.request('PATCH', `${notes}/${res.body.id}`, { body: update });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.n, 10);
    });

    test('a multipart @jsonPayload that is not a JSON object is unreadable', async () => {
      const form = new FormData();
      form.append('@jsonPayload', '{nope');
      const res = await t.request('POST', notes, { body: form });
      assert.deepEqual([res.status, res.body], [400, UNREADABLE]);
    });

    test('an urlencoded form creates a record', async () => {
      const res = await t.request('POST', notes, {
        body: 'title=from+urlencoded&n=3&tags=a&tags=b',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual([res.body.title, res.body.n, res.body.tags], ['from urlencoded', 3, ['a', 'b']]);
    });

    test('a validation failure on a multipart body has the usual shape', async () => {
      const form = new FormData();
      form.append('n', '1');
      const res = await t.request('POST', notes, { body: form });
      assert.deepEqual(res.body, {
        data: { title: REQUIRED },
        message: 'Failed to create record.',
        status: 400,
      });
    });
  });
}
