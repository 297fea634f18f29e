import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { documentedRoutes } from '../../src/http/openapi/document.ts';
import { registeredRoutes } from '../../src/http/server.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`OpenAPI document (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('every API route is documented, and nothing else is', async () => {
      const registered = registeredRoutes(t.app.http);
      assert.ok(registered.length >= 15, registered.join('\n'));
      const doc = (await t.request('GET', '/api/docs/openapi.json')).body;
      assert.deepEqual(registered, documentedRoutes(doc).sort());
    });

    test('the document is OpenAPI 3.1 and marks and explains ForgeBase additions', async () => {
      const res = await t.request('GET', '/api/docs/openapi.json');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const doc = res.body;
      assert.equal(doc.openapi, '3.1.0');
      assert.match(doc.info.version, /^\d+\.\d+\.\d+/);
      const aggregate = doc.paths['/api/collections/{c}/aggregate'].get;
      assert.equal(aggregate['x-forgebase'], true);
      assert.deepEqual(
        aggregate.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
        ['path:c', 'query:groupBy', 'query:fields', 'query:filter'],
      );
      const list = doc.paths['/api/collections/{c}/records'].get;
      assert.equal(list['x-forgebase'], undefined);
      const param = (name: string) => list.parameters.find((p: { name: string }) => p.name === name);
      assert.match(param('filter').description, /search\(field/);
      assert.match(param('sort').description, /@rank/);
      assert.equal(list.responses['200'].content['application/json'].schema.properties.items.type, 'array');
      assert.deepEqual(list.responses['400'].content['application/json'].schema, {
        $ref: '#/components/schemas/Error',
      });
      assert.deepEqual(Object.keys(doc.components.schemas.Error.properties), ['status', 'message', 'data']);
    });
  });
}
