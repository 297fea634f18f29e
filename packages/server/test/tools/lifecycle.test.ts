import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BackgroundService, createLifecycle, periodicService } from '../../src/tools/lifecycle.ts';
import { createManualClock } from '../support/clock.ts';

/** A service that writes what happens to it into `log`. */
function recorded(name: string, log: string[], fail?: 'start' | 'stop'): BackgroundService {
  return {
    name,
    async start() {
      if (fail === 'start') throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
    },
    async stop() {
      log.push(`stop ${name}`);
      if (fail === 'stop') throw new Error(`${name} cannot stop`);
    },
  };
}

describe('background service lifecycle', () => {
  test('starts in list order and stops in reverse', async () => {
    const log: string[] = [];
    const life = createLifecycle(['schema', 'realtime', 'pruning'].map((n) => recorded(n, log)));
    await life.start();
    await life.stop();
    assert.deepEqual(log, [
      'start schema',
      'start realtime',
      'start pruning',
      'stop pruning',
      'stop realtime',
      'stop schema',
    ]);
  });

  test('a failed start stops what had started and names the service', async () => {
    const log: string[] = [];
    const life = createLifecycle([recorded('a', log), recorded('b', log, 'start'), recorded('c', log)]);
    await assert.rejects(life.start(), { message: 'starting b failed' });
    assert.deepEqual(log, ['start a', 'stop a']);
  });

  test('a failing stop does not keep the others running', async () => {
    const log: string[] = [];
    const life = createLifecycle([recorded('a', log), recorded('b', log, 'stop'), recorded('c', log)]);
    await life.start();
    await assert.rejects(life.stop(), { message: 'stopping b failed' });
    assert.deepEqual(log.slice(3), ['stop c', 'stop b', 'stop a']);
  });

  test('a periodic service runs at start and then on every period of its clock', async () => {
    const clock = createManualClock(0);
    const runs: number[] = [];
    const errors: unknown[] = [];
    const service = periodicService(
      'tick',
      clock,
      1000,
      async () => {
        runs.push(clock.now());
        if (runs.length === 2) throw new Error('one bad run');
      },
      (err) => errors.push(err),
    );
    await service.start();
    await clock.advance(3500);
    assert.deepEqual(runs, [0, 1000, 2000, 3000]);
    assert.equal(errors.length, 1);
    await service.stop();
    await clock.advance(5000);
    assert.equal(runs.length, 4);
  });
});
