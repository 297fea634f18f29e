import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { assertInvalid, PUBLIC_RULES, REQUIRED } from '../support/expect.ts';

// number, bool, date and autodate values through the records API, against PocketBase
// (core/field_number.go, field_bool.go, field_date.go, field_autodate.go).

const DATE_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The current time in the stored date format, for "set by the server" checks. */
const nowText = () => new Date().toISOString().replace('T', ' ');

for (const dialect of DIALECTS) {
  describe(`number, bool, date and autodate fields (${dialect})`, () => {
    let t: TestApp;
    const post = (collection: string, body: unknown) =>
      t.request('POST', `/api/collections/${collection}/records`, { body });

    before(async () => {
      t = await startTestApp(dialect);
      const collections = [
        {
          name: 'nums',
          fields: [
            { name: 'n', type: 'number', min: 1, max: 10 },
            { name: 'i', type: 'number', onlyInt: true, min: 5 },
            { name: 'r', type: 'number', required: true },
          ],
        },
        {
          name: 'flags',
          fields: [
            { name: 'b', type: 'bool', required: true },
            { name: 'o', type: 'bool' },
          ],
        },
        {
          name: 'dates',
          fields: [
            { name: 'd', type: 'date' },
            { name: 'dm', type: 'date', min: '2024-01-01 00:00:00.000Z', max: '2024-12-31 12:30:00.500Z' },
            { name: 'dr', type: 'date', required: true },
            { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
            { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
            { name: 'touched', type: 'autodate', onCreate: false, onUpdate: true },
          ],
        },
      ];
      for (const c of collections) await t.createCollection({ ...c, ...PUBLIC_RULES });
    });
    after(() => t.close());

    test('numbers within min and max are stored, bounds inclusive', async () => {
      for (const n of [1, 5.5, 10]) {
        const res = await post('nums', { n, r: 1 });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.n, n);
      }
    });

    test('a number below min or above max is refused with its param', async () => {
      assertInvalid(await post('nums', { n: 0.5, r: 1 }), {
        n: {
          code: 'validation_min_number_constraint',
          message: 'Must be greater or equal than 1.',
          params: { min: 1 },
        },
      });
      assertInvalid(await post('nums', { n: 10.01, r: 1 }), {
        n: {
          code: 'validation_max_number_constraint',
          message: 'Must be less or equal than 10.',
          params: { max: 10 },
        },
      });
    });

    test('zero counts as empty: min and max are not checked for it', async () => {
      const res = await post('nums', { n: 0, i: 0, r: 1 });
      assert.equal(res.status, 200);
      assert.equal(res.body.n, 0);
      assert.equal(res.body.i, 0);
    });

    test('onlyInt refuses decimals before checking min', async () => {
      assertInvalid(await post('nums', { i: 1.5, r: 1 }), {
        i: { code: 'validation_only_int_constraint', message: 'Decimal numbers are not allowed.' },
      });
      const ok = await post('nums', { i: 6, r: 1 });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.i, 6);
    });

    test('a required number fails when missing, zero, or not numeric', async () => {
      for (const r of [undefined, 0, '0', 'abc', '', null]) {
        assertInvalid(await post('nums', r === undefined ? {} : { r }), { r: REQUIRED });
      }
    });

    test('numeric text is cast and any other text becomes 0', async () => {
      const res = await post('nums', { n: '7', i: '8', r: '-3.5' });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.n, res.body.i, res.body.r], [7, 8, -3.5]);
      const abc = await post('nums', { n: 'abc', r: 2 });
      assert.equal(abc.status, 200);
      assert.equal(abc.body.n, 0);
    });

    test('large and negative numbers round-trip exactly', async () => {
      const res = await post('nums', { r: -123456789.125 });
      assert.equal(res.status, 200);
      const viewed = await t.request('GET', `/api/collections/nums/records/${res.body.id}`);
      assert.equal(viewed.body.r, -123456789.125);
    });

    test('a required bool must be true', async () => {
      assertInvalid(await post('flags', {}), { b: REQUIRED });
      assertInvalid(await post('flags', { b: false }), { b: REQUIRED });
      assertInvalid(await post('flags', { b: 'false' }), { b: REQUIRED });
      const ok = await post('flags', { b: true });
      assert.equal(ok.status, 200);
      assert.deepEqual([ok.body.b, ok.body.o], [true, false]);
    });

    test('bool input is cast from text and numbers', async () => {
      const res = await post('flags', { b: 'true', o: 1 });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.b, res.body.o], [true, true]);
      const off = await post('flags', { b: '1', o: '0' });
      assert.deepEqual([off.body.b, off.body.o], [true, false]);
      const viewed = await t.request('GET', `/api/collections/flags/records/${off.body.id}`);
      assert.deepEqual([viewed.body.b, viewed.body.o], [true, false]);
    });

    test('dates are parsed from ISO, PocketBase and date-only forms into UTC', async () => {
      const cases: [string, string][] = [
        ['2024-05-01T10:20:30Z', '2024-05-01 10:20:30.000Z'],
        ['2024-05-01 10:20:30.123Z', '2024-05-01 10:20:30.123Z'],
        ['2024-05-01T12:20:30+02:00', '2024-05-01 10:20:30.000Z'],
        ['2024-05-01', '2024-05-01 00:00:00.000Z'],
      ];
      for (const [input, stored] of cases) {
        const res = await post('dates', { d: input, dr: input });
        assert.equal(res.status, 200, `${input}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.d, stored, input);
        const viewed = await t.request('GET', `/api/collections/dates/records/${res.body.id}`);
        assert.equal(viewed.body.d, stored, input);
      }
    });

    test('an unparseable date is empty, which fails only when required', async () => {
      const res = await post('dates', { d: 'not a date', dr: '2024-01-01' });
      assert.equal(res.status, 200);
      assert.equal(res.body.d, '');
      assertInvalid(await post('dates', { dr: 'not a date' }), { dr: REQUIRED });
      assertInvalid(await post('dates', { dr: '' }), { dr: REQUIRED });
    });

    test('dates outside min or max are refused, bounds inclusive', async () => {
      const dr = '2024-01-01';
      assertInvalid(await post('dates', { dr, dm: '2023-12-31 23:59:59.999Z' }), {
        dm: {
          code: 'validation_min_greater_equal_than_required',
          message: 'Must be no less than 2024-01-01 00:00:00 +0000 UTC.',
          params: { threshold: '2024-01-01T00:00:00Z' },
        },
      });
      assertInvalid(await post('dates', { dr, dm: '2025-01-01' }), {
        dm: {
          code: 'validation_max_less_equal_than_required',
          message: 'Must be no greater than 2024-12-31 12:30:00.5 +0000 UTC.',
          params: { threshold: '2024-12-31T12:30:00.5Z' },
        },
      });
      for (const dm of ['2024-01-01 00:00:00.000Z', '2024-12-31 12:30:00.500Z']) {
        const ok = await post('dates', { dr, dm });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.dm, dm);
      }
    });

    test('autodate fields are set by the server on create and client input is ignored', async () => {
      const before = nowText();
      const forged = '2000-01-01 00:00:00.000Z';
      const res = await post('dates', {
        dr: '2024-01-01',
        created: forged,
        updated: forged,
        touched: forged,
      });
      assert.equal(res.status, 200);
      assert.match(res.body.created, DATE_RE);
      assert.ok(res.body.created >= before, `${res.body.created} >= ${before}`);
      assert.equal(res.body.updated, res.body.created);
      // onUpdate only: nothing on create
      assert.equal(res.body.touched, '');
    });

    test('onUpdate autodates move on update while onCreate ones stay', async () => {
      const created = await post('dates', { dr: '2024-01-01' });
      const before = nowText();
      const res = await t.request('PATCH', `/api/collections/dates/records/${created.body.id}`, {
        body: { d: '2024-02-02', created: '2000-01-01', updated: '2000-01-01' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.created, created.body.created);
      assert.match(res.body.updated, DATE_RE);
      assert.ok(res.body.updated >= before, `${res.body.updated} >= ${before}`);
      assert.equal(res.body.touched, res.body.updated);
      const viewed = await t.request('GET', `/api/collections/dates/records/${created.body.id}`);
      assert.deepEqual(viewed.body, res.body);
    });
  });
}
