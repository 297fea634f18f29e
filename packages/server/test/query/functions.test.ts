import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`filter functions (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'places',
        listRule: '',
        fields: [
          { name: 'name', type: 'text' },
          { name: 'at', type: 'geoPoint' },
          { name: 'lon', type: 'number' },
          { name: 'opened', type: 'date' },
        ],
      });
      for (const [name, lon, lat, opened] of [
        ['sofia', 23.3219, 42.6977, '2001-03-05 10:20:30.000Z'],
        ['plovdiv', 24.7453, 42.1354, '2001-12-31 23:00:00.000Z'],
        ['london', -0.1276, 51.5072, '1999-07-01 00:00:00.000Z'],
      ] as const) {
        const res = await t.request('POST', '/api/collections/places/records', {
          token: 'superuser',
          body: { name, at: { lon, lat }, lon, opened },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    });
    after(() => t.close());

    const names = async (filter: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/places/records?sort=name&filter=${encodeURIComponent(filter)}`,
      );
      assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.body)}`);
      return res.body.items.map((i: { name: string }) => i.name);
    };

    test('geoDistance is the great-circle distance in km', async () => {
      // Sofia–Plovdiv is about 132 km; London is about 2,000 km away
      assert.deepEqual(await names('geoDistance(at.lon, at.lat, 23.3219, 42.6977) < 150'), [
        'plovdiv',
        'sofia',
      ]);
      assert.deepEqual(await names('geoDistance(at.lon, at.lat, 23.3219, 42.6977) < 1'), ['sofia']);
      assert.deepEqual(
        await names(
          'geoDistance(at.lon, at.lat, 23.3219, 42.6977) > 130 && geoDistance(at.lon, at.lat, 23.3219, 42.6977) < 135',
        ),
        ['plovdiv'],
      );
      assert.deepEqual(await names('geoDistance(lon, at.lat, -0.1276, 51.5072) < 1'), ['london']);
      assert.deepEqual(await names('geoDistance(0, 0, 0, 0) = 0'), ['london', 'plovdiv', 'sofia']);
    });

    test('strftime formats stored dates', async () => {
      assert.deepEqual(await names("strftime('%Y', opened) = '2001'"), ['plovdiv', 'sofia']);
      assert.deepEqual(await names("strftime('%Y-%m-%d %H:%M:%S', opened) = '2001-03-05 10:20:30'"), [
        'sofia',
      ]);
      assert.deepEqual(await names("strftime('%j', opened) = '365'"), ['plovdiv']);
      assert.deepEqual(await names("strftime('%m/%d', opened) ~ '07/'"), ['london']);
    });

    test('unsupported forms are 400s', async () => {
      for (const filter of [
        "strftime('%A', opened) = 'x'",
        'strftime(opened) = 1',
        'geoDistance(1, 2, 3) < 1',
        'nope(1) = 1',
      ]) {
        const res = await t.request(
          'GET',
          `/api/collections/places/records?filter=${encodeURIComponent(filter)}`,
        );
        assert.equal(res.status, 400, filter);
      }
    });
  });
}
