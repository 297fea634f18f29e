import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBatchBuffer } from '../../src/tools/batch-buffer.ts';

/** A store whose writes wait until released, to play a slow database. */
function slowStore() {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let gate = Promise.resolve();
  return {
    batches,
    hold() {
      gate = new Promise((r) => {
        release = r;
      });
    },
    release: () => release?.(),
    async write(items: number[]) {
      await gate;
      batches.push(items);
    },
  };
}

describe('batch buffer', () => {
  test('a flush writes everything buffered in batches of at most batchSize', async () => {
    const store = slowStore();
    const buffer = createBatchBuffer({ write: store.write, batchSize: 3, maxBuffered: 100, onError() {} });
    store.hold();
    for (let i = 1; i <= 7; i++) buffer.push(i);
    // reaching batchSize started a write on its own
    store.release();
    await buffer.flush();
    assert.deepEqual(store.batches, [[1, 2, 3], [4, 5, 6], [7]]);
    assert.deepEqual(buffer.stats, { buffered: 0, written: 7, dropped: 0, failed: 0 });
  });

  test('while the store is slow, a full buffer drops its oldest entries and counts them', async () => {
    const store = slowStore();
    const buffer = createBatchBuffer({ write: store.write, batchSize: 2, maxBuffered: 4, onError() {} });
    store.hold();
    buffer.push(1);
    buffer.push(2); // a write of [1, 2] starts and waits
    for (let i = 3; i <= 9; i++) buffer.push(i);
    assert.equal(buffer.stats.buffered, 4);
    assert.equal(buffer.stats.dropped, 3);
    store.release();
    await buffer.flush();
    assert.deepEqual(store.batches, [
      [1, 2],
      [6, 7],
      [8, 9],
    ]);
  });

  test('a failed write loses only its batch; close writes the rest and refuses later pushes', async () => {
    const written: number[][] = [];
    const lost: number[] = [];
    const buffer = createBatchBuffer<number>({
      write: async (items) => {
        if (items.includes(2)) throw new Error('disk full');
        written.push(items);
      },
      batchSize: 2,
      maxBuffered: 10,
      onError: (_err, n) => lost.push(n),
    });
    buffer.push(1);
    buffer.push(2);
    buffer.push(3);
    await buffer.close();
    buffer.push(4);
    await buffer.flush();
    assert.deepEqual(written, [[3]]);
    assert.deepEqual(lost, [2]);
    assert.deepEqual(buffer.stats, { buffered: 0, written: 1, dropped: 1, failed: 2 });
  });

  test('flush during a write also waits for entries pushed meanwhile', async () => {
    const store = slowStore();
    const buffer = createBatchBuffer({ write: store.write, batchSize: 1, maxBuffered: 10, onError() {} });
    store.hold();
    buffer.push(1);
    const first = buffer.flush();
    buffer.push(2);
    const second = buffer.flush();
    store.release();
    await Promise.all([first, second]);
    assert.deepEqual(store.batches, [[1], [2]]);
  });
});
