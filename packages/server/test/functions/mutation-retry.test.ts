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

export const bump = mutation(async (ctx, { first, second }: { first: string; second: string }) => {
  state.runs++;
  await ctx.records('counters').update(first, { 'n+': 1 });
  if (state.arrived < 2) {
    state.arrived++;
    if (state.arrived === 2) for (const w of state.waiters) w();
    else await new Promise<void>((r) => { state.waiters.push(r); setTimeout(r, 5000); });
  }
  await ctx.records('counters').update(second, { 'n+': 1 });
  return state.runs;
});
export const runs = query(() => state.runs);
`;

describe('mutations retried on a write conflict (postgres)', () => {
  let t: TestApp;
  const fns = functionsDir({ 'swap.ts': SWAP });
  before(async () => {
    t = await startTestApp('postgres', { functionsDir: fns.dir });
    await t.createCollection({ name: 'counters', updateRule: '', fields: [{ name: 'n', type: 'number' }] });
  });
  after(async () => {
    await t.close();
    fns.remove();
  });

  test('a mutation aborted by a deadlock runs again and succeeds', { timeout: 30_000 }, async () => {
    const a = await t.app.records.asSystem().create('counters', { n: 0 });
    const b = await t.app.records.asSystem().create('counters', { n: 0 });
    const [one, two] = await Promise.all([
      t.request('POST', '/api/functions/swap/bump', { body: { first: a.id, second: b.id } }),
      t.request('POST', '/api/functions/swap/bump', { body: { first: b.id, second: a.id } }),
    ]);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(two.status, 200, JSON.stringify(two.body));
    // two calls, three runs: one of them was rolled back and run again
    assert.equal((await t.request('POST', '/api/functions/swap/runs')).body, 3);
    const counters = await t.app.records.asSystem().list('counters', { sort: 'n' });
    assert.deepEqual(
      counters.items.map((r) => r.n),
      [2, 2],
    );
  });
});
