import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// The records list: paging, sorting, skipTotal and the `fields` projection, against
// PocketBase (tools/search/provider.go, tools/picker).

const PATH = '/api/collections/items/records';
const TITLES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];
const NS = [3, 1, 2, 3, 1, 2, 3];

for (const dialect of DIALECTS) {
  describe(`records list (${dialect})`, () => {
    let t: TestApp;
    let collectionId = '';
    const list = async (query = '') => {
      const res = await t.request('GET', `${PATH}${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const titles = (body: { items: { title: string }[] }) => body.items.map((i) => i.title);

    before(async () => {
      t = await startTestApp(dialect);
      const rules = { listRule: '', viewRule: '', createRule: '' };
      const items = await t.createCollection({
        name: 'items',
        ...rules,
        fields: [
          { name: 'title', type: 'text' },
          { name: 'n', type: 'number' },
          { name: 'body', type: 'editor' },
          { name: 'secret', type: 'password' },
        ],
      });
      collectionId = items.id;
      await t.createCollection({ name: 'empties', ...rules, fields: [{ name: 'title', type: 'text' }] });
      for (const [i, title] of TITLES.entries()) {
        const body = i === 0 ? '<p>Hel<b>lo</b>   <i>big</i>\n world</p><p>Second paragraph here</p>' : '';
        const created = await t.request('POST', PATH, { body: { title, n: NS[i], body } });
        assert.equal(created.status, 200, JSON.stringify(created.body));
      }
    });
    after(() => t.close());

    test('a list without parameters is page 1 of 30, counted, in insertion order', async () => {
      const body = await list();
      assert.deepEqual(Object.keys(body), ['items', 'page', 'perPage', 'totalItems', 'totalPages']);
      assert.deepEqual(
        { ...body, items: titles(body) },
        {
          items: TITLES,
          page: 1,
          perPage: 30,
          totalItems: 7,
          totalPages: 1,
        },
      );
      assert.deepEqual(Object.keys(body.items[0]).sort(), [
        'body',
        'collectionId',
        'collectionName',
        'id',
        'n',
        'title',
      ]);
      assert.equal(body.items[0].collectionId, collectionId);
    });

    test('an empty collection lists as an empty page', async () => {
      const res = await t.request('GET', '/api/collections/empties/records');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { items: [], page: 1, perPage: 30, totalItems: 0, totalPages: 0 });
    });

    test('page and perPage select a window and count the pages', async () => {
      const pages = [];
      for (const page of [1, 2, 3, 4]) pages.push(await list(`?perPage=3&page=${page}`));
      assert.deepEqual(pages.map(titles), [TITLES.slice(0, 3), TITLES.slice(3, 6), TITLES.slice(6), []]);
      for (const [i, body] of pages.entries()) {
        assert.deepEqual([body.page, body.perPage, body.totalItems, body.totalPages], [i + 1, 3, 7, 3]);
      }
    });

    test('perPage defaults to 30 when not positive and is capped at 1000', async () => {
      assert.equal((await list('?perPage=0')).perPage, 30);
      assert.equal((await list('?perPage=-5')).perPage, 30);
      const capped = await list('?perPage=5000');
      assert.deepEqual([capped.perPage, capped.totalPages, capped.items.length], [1000, 1, 7]);
    });

    test('a page below 1 is page 1', async () => {
      for (const page of ['0', '-2']) {
        const body = await list(`?page=${page}&perPage=2`);
        assert.deepEqual([body.page, titles(body)], [1, TITLES.slice(0, 2)]);
      }
    });

    test('a page or perPage that is not an integer is a 400', async () => {
      for (const q of ['?page=abc', '?page=1.5', '?perPage=abc', '?perPage=2.5', '?perPage=1e3']) {
        const res = await t.request('GET', `${PATH}${q}`);
        const name = q.slice(1, q.indexOf('='));
        assert.deepEqual(res.body, {
          data: { [name]: { code: 'validation_invalid_int', message: 'Must be an integer.' } },
          message: `Invalid "${name}" value: expected an integer.`,
          status: 400,
        });
      }
    });

    test('sort orders by a field, ascending by default or with +', async () => {
      const sorted = [...TITLES].sort();
      assert.deepEqual(titles(await list('?sort=title')), sorted);
      assert.deepEqual(titles(await list('?sort=%2Btitle')), sorted);
      assert.deepEqual(titles(await list('?sort=-title')), [...sorted].reverse());
    });

    test('sort takes several fields, each with its own direction', async () => {
      assert.deepEqual(titles(await list('?sort=n,title')), [
        'bravo',
        'echo',
        'charlie',
        'foxtrot',
        'alpha',
        'delta',
        'golf',
      ]);
      assert.deepEqual(titles(await list('?sort=-n,-title')), [
        'golf',
        'delta',
        'alpha',
        'foxtrot',
        'charlie',
        'echo',
        'bravo',
      ]);
      assert.deepEqual(titles(await list('?sort=-n,title&perPage=2&page=2')), ['golf', 'charlie']);
    });

    test('sort by @random returns every record once', async () => {
      const body = await list('?sort=@random');
      assert.deepEqual(titles(body).sort(), TITLES);
      assert.equal(body.totalItems, 7);
    });

    test('sort by id, created-like system columns and @rowid works', async () => {
      const byRowid = await list('?sort=-@rowid');
      assert.deepEqual(titles(byRowid), [...TITLES].reverse());
      const byId = await list('?sort=id');
      const ids = byId.items.map((i: { id: string }) => i.id);
      assert.deepEqual(ids, [...ids].sort());
    });

    test('sort by an unknown field is a 400', async () => {
      for (const sort of ['nope', '-nope', 'title,nope']) {
        const res = await t.request('GET', `${PATH}?sort=${sort}`);
        assert.deepEqual(res.body, { data: {}, message: 'Invalid sort field "nope".', status: 400 }, sort);
      }
    });

    test('skipTotal skips the count: totals are -1', async () => {
      for (const v of ['1', 'true', 't', 'TRUE']) {
        const body = await list(`?skipTotal=${v}&perPage=2`);
        assert.deepEqual(
          { ...body, items: titles(body) },
          {
            items: TITLES.slice(0, 2),
            page: 1,
            perPage: 2,
            totalItems: -1,
            totalPages: -1,
          },
        );
      }
      const counted = await list('?skipTotal=false');
      assert.deepEqual([counted.totalItems, counted.totalPages], [7, 1]);
      const empty = await t.request('GET', '/api/collections/empties/records?skipTotal=1');
      assert.deepEqual(empty.body, { items: [], page: 1, perPage: 30, totalItems: -1, totalPages: -1 });
    });

    test('skipTotal that is not a boolean is a 400', async () => {
      const res = await t.request('GET', `${PATH}?skipTotal=maybe`);
      assert.equal(res.status, 400);
    });

    test('fields projects each item and leaves the page keys alone', async () => {
      const body = await list('?fields=id,title&perPage=2');
      assert.deepEqual(Object.keys(body), ['items', 'page', 'perPage', 'totalItems', 'totalPages']);
      assert.equal(body.totalItems, 7);
      for (const [i, item] of body.items.entries()) {
        assert.deepEqual(Object.keys(item).sort(), ['id', 'title']);
        assert.equal(item.title, TITLES[i]);
      }
    });

    test('fields=* keeps every key and unknown names are left out', async () => {
      assert.deepEqual(await list('?fields=*'), await list());
      const unknown = await list('?fields=nope&perPage=2');
      assert.deepEqual(unknown.items, [{}, {}]);
    });

    test('fields applies to a single record too', async () => {
      const first = (await list('?perPage=1')).items[0];
      const res = await t.request('GET', `${PATH}/${first.id}?fields=title,n`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { title: 'alpha', n: 3 });
    });

    test(':excerpt turns HTML into short plain text, with an optional ellipsis', async () => {
      const q = (f: string) => list(`?perPage=1&fields=${encodeURIComponent(f)}`);
      assert.deepEqual((await q('body:excerpt(100)')).items, [
        { body: 'Hello big world Second paragraph here' },
      ]);
      assert.deepEqual((await q('body:excerpt(9,true)')).items, [{ body: 'Hello big...' }]);
      assert.deepEqual((await q('body:excerpt(9)')).items, [{ body: 'Hello big' }]);
      assert.deepEqual((await q('body:excerpt(10,1)')).items, [{ body: 'Hello big...' }]);
      const withAll = (await q('*,title:excerpt(3,true)')).items[0];
      assert.equal(withAll.title, 'alp...');
      assert.equal(withAll.n, 3);
      assert.equal(withAll.body, '<p>Hel<b>lo</b>   <i>big</i>\n world</p><p>Second paragraph here</p>');
    });
  });
}
