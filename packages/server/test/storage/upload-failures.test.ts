import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIALECTS, startTestApp } from '../support/app.ts';
import { form, textFile } from '../support/files.ts';
import { startTestS3 } from '../support/s3.ts';

for (const dialect of DIALECTS) {
  describe(`upload failures (${dialect})`, () => {
    test('a store that fails mid-upload is a 500, and no record is written', async () => {
      const s3 = await startTestS3();
      const t = await startTestApp(dialect, s3.config);
      try {
        await t.createCollection({
          name: 'docs',
          listRule: '',
          createRule: '',
          fields: [{ name: 'f', type: 'file', maxSelect: 1 }],
        });
        await s3.close();
        const res = await t.request('POST', '/api/collections/docs/records', {
          body: form({ f: textFile('a.txt', 'a') }),
        });
        assert.equal(res.status, 500);
        assert.deepEqual(res.body, {
          status: 500,
          message: 'Something went wrong while processing your request.',
          data: {},
        });
        const list = await t.request('GET', '/api/collections/docs/records');
        assert.equal(list.body.totalItems, 0);
      } finally {
        await t.close();
      }
    });
  });
}
