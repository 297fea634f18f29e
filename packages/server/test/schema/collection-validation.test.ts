import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const err = (code: string, message: string, params?: Record<string, unknown>) =>
  params ? { code, message, params } : { code, message };

for (const dialect of DIALECTS) {
  describe(`collection validation (${dialect})`, () => {
    let t: TestApp;
    let postsId: string;
    const su = { token: 'superuser' };
    const create = (body: Record<string, unknown>) => t.request('POST', '/api/collections', { ...su, body });

    /** Asserts a create fails with exactly `data` and leaves the schema as it was. */
    async function rejects(body: Record<string, unknown>, data: unknown): Promise<void> {
      const before = (await t.request('GET', '/api/collections?perPage=1000', su)).body.totalItems;
      const res = await create(body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(res.body, { data, message: 'Failed to create collection.', status: 400 });
      const after = (await t.request('GET', '/api/collections?perPage=1000', su)).body.totalItems;
      assert.equal(after, before);
    }

    before(async () => {
      t = await startTestApp(dialect);
      const res = await create({ name: 'posts', fields: [{ name: 'title', type: 'text' }] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      postsId = res.body.id;
    });
    after(() => t.close());

    test('collection names must be present, \\w+, without _via_ and not internal', async () => {
      const cases: [string, unknown][] = [
        ['', err('validation_required', 'Cannot be blank.')],
        ['bad name!', err('validation_match_invalid', 'Must be in a valid format.')],
        ['ünïcode', err('validation_match_invalid', 'Must be in a valid format.')],
        ['a_via_b', err('validation_found_via', 'The value cannot contain "_via_".')],
        [
          '_migrations',
          err(
            'validation_collection_name_invalid',
            "The name shouldn't match with an existing internal table.",
          ),
        ],
        [
          'x'.repeat(256),
          err('validation_length_too_long', 'The length must be no more than 255.', { max: 255 }),
        ],
      ];
      for (const [name, e] of cases) {
        await rejects({ name, fields: [] }, { name: e });
        if (name)
          assert.equal(
            (await t.request('GET', `/api/collections/${encodeURIComponent(name)}`, su)).status,
            404,
          );
      }
    });

    test('collection names are unique case-insensitively and may not equal a collection id', async () => {
      await rejects(
        { name: 'POSTS' },
        {
          name: err(
            'validation_collection_name_exists',
            'Collection name must be unique (case insensitive).',
          ),
        },
      );
      await rejects(
        { name: postsId },
        {
          name: err(
            'validation_collection_name_id_duplicate',
            'The name must not match an existing collection id.',
          ),
        },
      );
      const rename = await t.request('PATCH', '/api/collections/posts', {
        ...su,
        body: { name: '_superusers' },
      });
      assert.equal(rename.status, 400);
      assert.deepEqual(rename.body, {
        data: {
          name: err(
            'validation_collection_name_exists',
            'Collection name must be unique (case insensitive).',
          ),
        },
        message: 'Failed to update collection.',
        status: 400,
      });
    });

    test('system collection names and types cannot change', async () => {
      const res = await t.request('PATCH', '/api/collections/_superusers', {
        ...su,
        body: { name: 'admins' },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.data, {
        name: err('validation_collection_system_name_change', 'System collection name cannot be changed.'),
      });
      const type = await t.request('PATCH', '/api/collections/posts', { ...su, body: { type: 'auth' } });
      assert.equal(type.status, 400);
      assert.deepEqual(
        type.body.data.type,
        err('validation_collection_type_change', 'Collection type cannot be changed.'),
      );
      assert.equal((await t.request('GET', '/api/collections/posts', su)).body.type, 'base');
    });

    test('reserved field names are refused (auth reserves passwordConfirm and oldPassword)', async () => {
      for (const name of ['expand', 'collectionId', 'collectionName', 'null', 'true', '_rowid_']) {
        await rejects(
          { name: 'reserved', fields: [{ name, type: 'text' }] },
          { fields: { 1: { name: err('validation_not_in_invalid', 'Must not be in list.') } } },
        );
      }
      for (const name of ['passwordConfirm', 'oldPassword']) {
        await rejects(
          { name: 'reserved', type: 'auth', fields: [{ name, type: 'text' }] },
          {
            fields: {
              1: {
                name: err('validation_reserved_field_name', 'The field name is reserved and cannot be used.'),
              },
            },
          },
        );
      }
      // only auth collections reserve them
      const ok = await create({ name: 'plain', fields: [{ name: 'passwordConfirm', type: 'text' }] });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    // security #18: a field named __proto__ made every create in its collection a 500
    test('names every object already has (__proto__, constructor, toString) are refused', async () => {
      for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) {
        for (const type of ['base', 'auth']) {
          await rejects(
            { name: 'protos', type, fields: [{ name, type: 'text' }] },
            {
              fields: {
                1: {
                  name: err(
                    'validation_reserved_field_name',
                    'The field name is reserved and cannot be used.',
                  ),
                },
              },
            },
          );
        }
      }
      const plain = await create({ name: 'protos', fields: [{ name: 'title', type: 'text' }] });
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      const added = await t.request('PATCH', '/api/collections/protos', {
        ...su,
        body: { fields: [...plain.body.fields, { name: '__proto__', type: 'text' }] },
      });
      assert.equal(added.status, 400, JSON.stringify(added.body));
      assert.equal(added.body.data.fields['2'].name.code, 'validation_reserved_field_name');
    });

    test('field names must be unique case-insensitively and well formed', async () => {
      await rejects(
        {
          name: 'dupes',
          fields: [
            { name: 'title', type: 'text' },
            { name: 'Title', type: 'number' },
          ],
        },
        {
          fields: {
            2: {
              name: err('validation_duplicated_field_name', 'Duplicated or invalid field name Title.', {
                fieldName: 'Title',
              }),
            },
          },
        },
      );
      await rejects(
        { name: 'dupes', fields: [{ name: 'has space', type: 'text' }] },
        { fields: { 1: { name: err('validation_match_invalid', 'Must be in a valid format.') } } },
      );
      await rejects(
        { name: 'dupes', fields: [{ name: 'f', type: 'nope' }] },
        { fields: { 1: { type: err('validation_in_invalid', 'Must be a valid value.') } } },
      );
    });

    test('indexes must parse and name existing columns', async () => {
      await rejects(
        { name: 'indexed', fields: [{ name: 'a', type: 'text' }], indexes: ['not an index'] },
        { indexes: { 0: err('validation_invalid_index_expression', 'Invalid CREATE INDEX expression.') } },
      );
      await rejects(
        {
          name: 'indexed',
          fields: [{ name: 'a', type: 'text' }],
          indexes: ['CREATE INDEX idx_x ON indexed (missing)'],
        },
        { indexes: { 0: err('validation_invalid_index_expression', 'Invalid CREATE INDEX expression.') } },
      );
      await rejects(
        {
          name: 'indexed',
          fields: [{ name: 'a', type: 'text' }],
          indexes: ['CREATE INDEX idx_a ON indexed (a)', 'CREATE INDEX IDX_A ON indexed (a DESC)'],
        },
        { indexes: { 1: err('validation_duplicated_index_name', 'The index name already exists.') } },
      );
    });

    test('a view query must be one SELECT returning an id column', async () => {
      await rejects(
        { name: 'v_noid', type: 'view', viewQuery: 'SELECT title FROM posts' },
        {
          viewQuery: err(
            'validation_invalid_view_query',
            "Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one).",
          ),
        },
      );
      for (const viewQuery of [
        'SELECT id FROM nowhere',
        'DELETE FROM posts',
        'SELECT id FROM posts; SELECT 1',
      ]) {
        const res = await create({ name: 'v_bad', type: 'view', viewQuery });
        assert.equal(res.status, 400, viewQuery);
        assert.deepEqual(Object.keys(res.body.data), ['viewQuery']);
        assert.equal(res.body.data.viewQuery.code, 'validation_invalid_view_query');
        assert.match(res.body.data.viewQuery.message, /^Invalid query - /);
      }
      await rejects(
        { name: 'v_rules', type: 'view', viewQuery: 'SELECT id FROM posts', createRule: '' },
        { createRule: err('validation_nil', 'Must be blank.') },
      );
      assert.equal((await t.request('GET', '/api/collections/v_noid', su)).status, 404);
    });

    test('select options need values and a maxSelect within them', async () => {
      await rejects(
        { name: 'sel', fields: [{ name: 's', type: 'select', values: [] }] },
        { fields: { 1: { values: err('validation_required', 'Cannot be blank.') } } },
      );
      await rejects(
        { name: 'sel', fields: [{ name: 's', type: 'select', values: ['a', 'b'], maxSelect: 3 }] },
        {
          fields: {
            1: {
              maxSelect: err('validation_max_less_equal_than_required', 'Must be no greater than 2.', {
                threshold: 2,
              }),
            },
          },
        },
      );
    });

    test('a relation must point at an existing collection id', async () => {
      const missing = err(
        'validation_field_relation_missing_collection',
        "The relation collection doesn't exist.",
      );
      await rejects(
        { name: 'rel', fields: [{ name: 'r', type: 'relation', collectionId: 'pbc_000' }] },
        { fields: { 1: { collectionId: missing } } },
      );
      // PocketBase wants the id, not the name
      await rejects(
        { name: 'rel', fields: [{ name: 'r', type: 'relation', collectionId: 'posts' }] },
        { fields: { 1: { collectionId: missing } } },
      );
      await rejects(
        { name: 'rel', fields: [{ name: 'r', type: 'relation' }] },
        { fields: { 1: { collectionId: err('validation_required', 'Cannot be blank.') } } },
      );
      const ok = await create({
        name: 'rel',
        fields: [{ name: 'r', type: 'relation', collectionId: postsId }],
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const change = await t.request('PATCH', '/api/collections/rel', {
        ...su,
        body: { fields: [...ok.body.fields.slice(0, 1), { ...ok.body.fields[1], collectionId: ok.body.id }] },
      });
      assert.equal(change.status, 400);
      assert.deepEqual(change.body.data, {
        fields: {
          1: {
            collectionId: err(
              'validation_field_relation_change',
              'The relation collection cannot be changed.',
            ),
          },
        },
      });
    });

    test('system fields cannot be removed or renamed', async () => {
      const posts = (await t.request('GET', '/api/collections/posts', su)).body;
      const res = await t.request('PATCH', '/api/collections/posts', {
        ...su,
        body: { fields: [{ ...posts.fields[0], name: 'pk' }, posts.fields[1]] },
      });
      const changed = {
        data: {
          fields: err('validation_system_field_change', 'System fields cannot be deleted or renamed.'),
        },
        message: 'Failed to update collection.',
        status: 400,
      };
      assert.deepEqual(res.body, changed);
      const members = await create({ name: 'accounts', type: 'auth' });
      assert.equal(members.status, 200);
      const removed = await t.request('PATCH', '/api/collections/accounts', {
        ...su,
        body: { fields: members.body.fields.filter((f: { name: string }) => f.name !== 'verified') },
      });
      // a missing auth system field is re-added, as PocketBase does; renaming one is refused
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual(removed.body.fields, members.body.fields);
      const renamed = await t.request('PATCH', '/api/collections/accounts', {
        ...su,
        body: {
          fields: members.body.fields.map((f: { name: string }) =>
            f.name === 'verified' ? { ...f, name: 'isVerified' } : f,
          ),
        },
      });
      assert.deepEqual(renamed.body, changed);
    });
  });
}
