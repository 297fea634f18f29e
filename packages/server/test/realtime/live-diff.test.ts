import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDiff, diffItems, type LiveItem } from '../../src/realtime/live/diff.ts';
import type { LiveDiffFrame } from '../../src/realtime/live/live-frames.ts';
import { mayMatchKeys } from '../../src/realtime/live/read-set.ts';
import { createRerunQueue } from '../../src/realtime/live/rerun-queue.ts';

const items = (spec: string) => [...spec].map((id) => ({ id, v: 0 }) as LiveItem);
const diff = (a: LiveItem[], b: LiveItem[]) =>
  diffItems(
    a,
    a.map((r) => JSON.stringify(r)),
    b,
    b.map((r) => JSON.stringify(r)),
  );

// a small deterministic generator, so a failure reproduces
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('live diffs', () => {
  test('moved records are removed and inserted, kept ones stay; updates are in place', () => {
    const before = items('abcd');
    const after = [before[1]!, { id: 'c', v: 1 }, before[3]!, before[0]!];
    const d = diff(before, after);
    // the frame a client receives carries the diff as is
    const frame: LiveDiffFrame = { type: 'live.diff', live: 'q', seq: 1, ...d, totalItems: 4 };
    assert.deepEqual('removed' in frame && frame.removed, d.removed);
    assert.deepEqual(d, {
      removed: [{ id: 'a', index: 0 }],
      inserted: [{ index: 3, record: before[0] }],
      updated: [{ index: 1, record: { id: 'c', v: 1 } }],
    });
    assert.deepEqual(applyDiff(before, d), after);
  });

  test('applying the diff of any two lists gives the second (1000 random pairs)', () => {
    const rand = lcg(7);
    for (let n = 0; n < 1000; n++) {
      const pool = 'abcdefghijkl';
      const pick = () =>
        [...pool]
          .filter(() => rand() < 0.5)
          .sort(() => rand() - 0.5)
          .map((id) => ({ id, v: Math.floor(rand() * 2) }) as LiveItem);
      const a = pick();
      const b = pick();
      assert.deepEqual(applyDiff(a, diff(a, b)), b, JSON.stringify({ a, b }));
    }
  });

  test('a key range only skips a record that surely fails it', () => {
    const keys = new Map<string, string | number>([
      ['owner', 'u1'],
      ['n', 2],
    ]);
    assert.equal(mayMatchKeys(keys, { owner: 'u1', n: 2 }), true);
    assert.equal(mayMatchKeys(keys, { owner: 'u2', n: 2 }), false);
    assert.equal(mayMatchKeys(keys, { owner: 'u1', n: 3 }), false);
    // a multi-valued field or a value of another type may still match in SQL
    assert.equal(mayMatchKeys(keys, { owner: ['u1', 'u2'], n: '2' }), true);
  });

  test('re-runs: at most `concurrency` at once; asked again while running, an item runs once more', async () => {
    const gates: (() => void)[] = [];
    const ran: string[] = [];
    let active = 0;
    let most = 0;
    const queue = createRerunQueue<{ name: string }>(2, async (item) => {
      ran.push(item.name);
      most = Math.max(most, ++active);
      await new Promise<void>((resolve) => gates.push(resolve));
      active--;
    });
    const items = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
    for (const item of items) queue.schedule(item);
    queue.schedule(items[2]!); // waiting already: not queued twice
    assert.deepEqual([ran, queue.pending(items[2]!)], [['a', 'b'], true]);
    queue.schedule(items[0]!); // running: once more afterwards, however often it is asked
    queue.schedule(items[0]!);
    const idle = queue.idle();
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await idle;
    assert.deepEqual([...ran].sort(), ['a', 'a', 'b', 'c', 'd']);
    assert.equal(most, 2);
  });
});
