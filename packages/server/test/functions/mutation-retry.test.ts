import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { functionsDir } from '../support/functions.ts';

// Two mutations that update the same two records in opposite orders, held at a barrier
// in between so their locks cross: PostgreSQL aborts one of them (deadlock), and the
// function service runs it again, so both calls succeed. SQLite has one writer: its
// transactions never conflict, so this suite is PostgreSQL's only.
const SWAP = `
import { mutation, query } from '@forgebase/server/functions';

const state = { runs: 0, arrived: 0, waiters: [] as (() => void)[] };

export const bump = mutation(async (ctx, { first, second, tag }: { first: string; second: string; tag: string }) => {
  state.runs++;
  await ctx.records('counters').update(first, { tag });
  if (state.arrived < 2) {
    state.arrived++;
    if (state.arrived === 2) for (const w of state.waiters) w();
    else await new Promise<void>((r) => { state.waiters.push(r); setTimeout(r, 5000); });
  }
  await ctx.records('counters').update(second, { tag });
  return state.runs;
});
export const runs = query(() => state.runs);
`;

describe('mutations retried on a write conflict (postgres)', () => {
  let t: TestApp;
  const fns = functionsDir({ 'swap.ts': SWAP });
  before(async () => {
    t = await startTestApp('postgres', { functionsDir: fns.dir });
    await t.createCollection({ name: 'counters', updateRule: '', fields: [{ name: 'tag', type: 'text' }] });
  });
  after(async () => {
    await t.close();
    fns.remove();
  });

  test('a mutation aborted by a deadlock runs again and succeeds', { timeout: 30_000 }, async () => {
    const a = await t.app.records.asSystem().create('counters', { tag: '' });
    const b = await t.app.records.asSystem().create('counters', { tag: '' });
    const [one, two] = await Promise.all([
      t.request('POST', '/api/functions/swap/bump', { body: { first: a.id, second: b.id, tag: 'one' } }),
      t.request('POST', '/api/functions/swap/bump', { body: { first: b.id, second: a.id, tag: 'two' } }),
    ]);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(two.status, 200, JSON.stringify(two.body));
    // two calls, three runs: one of them was rolled back and run again
    assert.equal((await t.request('POST', '/api/functions/swap/runs')).body, 3);
    // each mutation wrote both records, whole: the one that committed last holds both
    const tags = (await t.app.records.asSystem().list('counters', {})).items.map((r) => r.tag);
    assert.equal(tags.length, 2);
    assert.ok(tags[0] === tags[1] && ['one', 'two'].includes(String(tags[0])), JSON.stringify(tags));
  });
});
