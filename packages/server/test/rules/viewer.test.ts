import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asSystem } from '../../src/rules/viewer.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

test('asSystem is one frozen superuser viewer marked as the system', () => {
  const v = asSystem();
  assert.deepEqual({ ...v }, { superuser: true, system: true });
  assert.equal(Object.isFrozen(v), true);
  assert.equal(asSystem(), v);
});

for (const dialect of DIALECTS) {
  describe(`the system viewer bypasses rules (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      // every rule null: superusers only
      await t.createCollection({ name: 'locked', fields: [{ name: 'title', type: 'text' }] });
    });
    after(() => t.close());

    test('asSystem creates, views and lists records behind null rules', async () => {
      const { records } = t.app;
      const made = await records.create('locked', { title: 'a' }, asSystem());
      const seen = await records.view('locked', made.id as string, asSystem());
      assert.equal(seen.title, 'a');
      const list = await records.list('locked', {}, asSystem());
      assert.deepEqual(
        list.items.map((r) => r.id),
        [made.id],
      );
      await assert.rejects(records.list('locked', {}, { superuser: false }), { status: 403 });
    });
  });
}
