import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { assertInvalid, PUBLIC_RULES, REQUIRED } from '../support/expect.ts';

// json and geoPoint values, and the zero value every field type shows when nothing is
// stored, against PocketBase (core/field_json.go, field_geo_point.go, pb-spec §3).

for (const dialect of DIALECTS) {
  describe(`json, geoPoint and zero values (${dialect})`, () => {
    let t: TestApp;
    let zerosId = '';
    const post = (collection: string, body: unknown) =>
      t.request('POST', `/api/collections/${collection}/records`, { body });

    before(async () => {
      t = await startTestApp(dialect);
      const create = (c: Record<string, unknown>) => t.createCollection({ ...c, ...PUBLIC_RULES });
      await create({
        name: 'jsons',
        fields: [
          { name: 'j', type: 'json' },
          { name: 'jm', type: 'json', maxSize: 10 },
        ],
      });
      await create({ name: 'jsons_required', fields: [{ name: 'jr', type: 'json', required: true }] });
      await create({
        name: 'points',
        fields: [
          { name: 'g', type: 'geoPoint' },
          { name: 'gr', type: 'geoPoint', required: true },
        ],
      });
      const target = await create({ name: 'targets', fields: [{ name: 'x', type: 'text' }] });
      const zeros = await create({
        name: 'zeros',
        fields: [
          { name: 'text', type: 'text' },
          { name: 'editor', type: 'editor' },
          { name: 'number', type: 'number' },
          { name: 'bool', type: 'bool' },
          { name: 'email', type: 'email' },
          { name: 'url', type: 'url' },
          { name: 'date', type: 'date' },
          { name: 'autodate', type: 'autodate', onCreate: false, onUpdate: true },
          { name: 'select', type: 'select', values: ['a', 'b'] },
          { name: 'selects', type: 'select', values: ['a', 'b'], maxSelect: 2 },
          { name: 'json', type: 'json' },
          { name: 'file', type: 'file', maxSelect: 1 },
          { name: 'files', type: 'file', maxSelect: 3 },
          { name: 'relation', type: 'relation', collectionId: target.id, maxSelect: 1 },
          { name: 'relations', type: 'relation', collectionId: target.id, maxSelect: 5 },
          { name: 'password', type: 'password' },
          { name: 'point', type: 'geoPoint' },
        ],
      });
      zerosId = zeros.id;
    });
    after(() => t.close());

    test('json objects, arrays, strings, numbers and booleans are stored as given', async () => {
      for (const j of [{ a: 1, b: [true, null] }, [1, 'two', { three: 3 }], 'hello', 42, -1.5, true, false]) {
        const res = await post('jsons', { j });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.j, j);
        const viewed = await t.request('GET', `/api/collections/jsons/records/${res.body.id}`);
        assert.deepEqual(viewed.body.j, j);
      }
    });

    test('json text that is JSON is parsed, any other text is kept as a string', async () => {
      const cases: [string, unknown][] = [
        ['{"a":1}', { a: 1 }],
        ['[1,2]', [1, 2]],
        ['12', 12],
        ['-3', -3],
        ['"quoted"', 'quoted'],
        ['true', true],
        ['null', null],
        ['plain text', 'plain text'],
        ['{broken', '{broken'],
        ['', ''],
      ];
      for (const [input, stored] of cases) {
        const res = await post('jsons', { j: input });
        assert.equal(res.status, 200, `${input}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body.j, stored, input);
        const viewed = await t.request('GET', `/api/collections/jsons/records/${res.body.id}`);
        assert.deepEqual(viewed.body.j, stored, input);
      }
    });

    test('json null and a missing json are null', async () => {
      const res = await post('jsons', { j: null });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.j, res.body.jm], [null, null]);
    });

    test('an update keeps stored json it does not touch and replaces json it sets', async () => {
      const created = await post('jsons', { j: { keep: [1, 2] }, jm: 'short' });
      const path = `/api/collections/jsons/records/${created.body.id}`;
      const kept = await t.request('PATCH', path, { body: { jm: [7] } });
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      assert.deepEqual([kept.body.j, kept.body.jm], [{ keep: [1, 2] }, [7]]);
      const replaced = await t.request('PATCH', path, { body: { j: null } });
      assert.deepEqual([replaced.body.j, replaced.body.jm], [null, [7]]);
      const viewed = await t.request('GET', path);
      assert.deepEqual(viewed.body, replaced.body);
    });

    test('json larger than maxSize bytes is refused', async () => {
      assertInvalid(await post('jsons', { jm: { a: '0123456789' } }), {
        jm: {
          code: 'validation_json_size_limit',
          message: 'The maximum allowed JSON size is 10 bytes.',
          params: { maxSize: 10 },
        },
      });
      const ok = await post('jsons', { jm: [1, 2, 3] });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.jm, [1, 2, 3]);
    });

    test('a required json refuses null, "", [], {} and a missing value', async () => {
      for (const jr of [undefined, null, '', [], {}, 'null', '[]', '{}', '""']) {
        assertInvalid(await post('jsons_required', jr === undefined ? {} : { jr }), { jr: REQUIRED });
      }
      for (const jr of [0, false, [0], { a: null }, 'x']) {
        const ok = await post('jsons_required', { jr });
        assert.equal(ok.status, 200, JSON.stringify(jr));
        assert.deepEqual(ok.body.jr, jr);
      }
    });

    test('geoPoint stores lon and lat from an object or JSON text', async () => {
      const res = await post('points', { g: { lon: 23.5, lat: -42.25 }, gr: '{"lon":-180,"lat":90}' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.g, { lon: 23.5, lat: -42.25 });
      assert.deepEqual(res.body.gr, { lon: -180, lat: 90 });
      const viewed = await t.request('GET', `/api/collections/points/records/${res.body.id}`);
      assert.deepEqual([viewed.body.g, viewed.body.gr], [res.body.g, res.body.gr]);
    });

    test('geoPoint latitude and longitude must be in range', async () => {
      const gr = { lon: 1, lat: 1 };
      assertInvalid(await post('points', { gr, g: { lon: 0, lat: 90.5 } }), {
        g: { code: 'validation_invalid_latitude', message: 'Latitude must be between -90 and 90 degrees.' },
      });
      assertInvalid(await post('points', { gr, g: { lon: -180.5, lat: 0 } }), {
        g: {
          code: 'validation_invalid_longitude',
          message: 'Longitude must be between -180 and 180 degrees.',
        },
      });
      // latitude is checked first
      assertInvalid(await post('points', { gr, g: { lon: 500, lat: -100 } }), {
        g: { code: 'validation_invalid_latitude', message: 'Latitude must be between -90 and 90 degrees.' },
      });
    });

    test('geoPoint defaults to {lon:0,lat:0}, which is empty for required', async () => {
      assertInvalid(await post('points', {}), { gr: REQUIRED });
      assertInvalid(await post('points', { gr: { lon: 0, lat: 0 } }), { gr: REQUIRED });
      const ok = await post('points', { gr: { lon: 0, lat: 5 } });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.g, { lon: 0, lat: 0 });
      assert.deepEqual(ok.body.gr, { lon: 0, lat: 5 });
    });

    test('every field type returns its zero value when nothing is stored', async () => {
      const expected = {
        collectionId: zerosId,
        collectionName: 'zeros',
        text: '',
        editor: '',
        number: 0,
        bool: false,
        email: '',
        url: '',
        date: '',
        autodate: '',
        select: '',
        selects: [],
        json: null,
        file: '',
        files: [],
        relation: '',
        relations: [],
        point: { lon: 0, lat: 0 },
      };
      const created = await post('zeros', {});
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const { id, ...rest } = created.body;
      assert.match(id, /^[a-z0-9]{15}$/);
      assert.deepEqual(rest, expected);
      const viewed = await t.request('GET', `/api/collections/zeros/records/${id}`, { token: 'superuser' });
      assert.deepEqual(viewed.body, created.body);
      const listed = await t.request('GET', '/api/collections/zeros/records');
      assert.deepEqual(listed.body.items, [created.body]);
    });

    test('zero values survive an update that changes nothing else', async () => {
      const created = await post('zeros', {});
      const updated = await t.request('PATCH', `/api/collections/zeros/records/${created.body.id}`, {
        body: { text: 'x' },
      });
      assert.equal(updated.status, 200);
      const { autodate, text, ...rest } = updated.body;
      const { autodate: _a, text: _t, ...before } = created.body;
      assert.equal(text, 'x');
      assert.match(autodate, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.deepEqual(rest, before);
    });
  });
}
