import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// PocketBase: a client's filter that reaches another collection sees only the records
// that collection's listRule lets it list (core/record_field_resolver.go registerJoin).
for (const dialect of DIALECTS) {
  describe(`filters respect the listRules of joined collections (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      const secrets = await t.createCollection({ name: 'secrets', fields: [{ name: 'code', type: 'text' }] });
      const parts = await t.createCollection({
        name: 'parts',
        listRule: 'visible = true',
        fields: [
          { name: 'name', type: 'text' },
          { name: 'visible', type: 'bool' },
        ],
      });
      await t.createCollection({
        name: 'things',
        listRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'secret', type: 'relation', collectionId: secrets.id },
          { name: 'part', type: 'relation', collectionId: parts.id },
          { name: 'parts', type: 'relation', collectionId: parts.id, maxSelect: 5 },
        ],
      });
      const make = async (c: string, body: Record<string, unknown>) =>
        (await t.request('POST', `/api/collections/${c}/records`, { token: 'superuser', body })).body
          .id as string;
      const s1 = await make('secrets', { code: 'xyz' });
      const shown = await make('parts', { name: 'wheel', visible: true });
      const hidden = await make('parts', { name: 'wheel', visible: false });
      await make('things', { title: 'a', secret: s1, part: shown, parts: [shown, hidden] });
      await make('things', { title: 'b', part: hidden, parts: [hidden] });
    });
    after(() => t.close());

    const titles = async (filter: string, token?: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/things/records?sort=title&filter=${encodeURIComponent(filter)}`,
        token ? { token } : {},
      );
      return {
        status: res.status,
        titles: res.status === 200 ? res.body.items.map((i: { title: string }) => i.title) : res.body,
      };
    };

    test('a collection only superusers may list cannot be filtered through', async () => {
      const res = await titles("secret.code = 'xyz'");
      assert.equal(res.status, 400);
      assert.match(res.titles.message, /secrets/);
      assert.deepEqual(await titles("secret.code = 'xyz'", 'superuser'), { status: 200, titles: ['a'] });
    });

    test('records the joined listRule hides count as missing', async () => {
      assert.deepEqual(await titles("part.name = 'wheel'"), { status: 200, titles: ['a'] });
      assert.deepEqual(await titles("part.name = 'wheel'", 'superuser'), { status: 200, titles: ['a', 'b'] });
      assert.deepEqual(await titles("parts.name ?= 'wheel'"), { status: 200, titles: ['a'] });
    });

    test('back relations are filtered by the listRule too', async () => {
      const res = await t.request(
        'GET',
        `/api/collections/parts/records?filter=${encodeURIComponent("things_via_part.title ?= 'b'")}`,
        { token: 'superuser' },
      );
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.items.map((i: { visible: boolean }) => i.visible),
        [false],
      );
    });
  });
}
