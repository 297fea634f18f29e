import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { argon2Sync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createHashPool } from '../../src/auth/hash-pool.ts';

const PARAMS = { memory: 19456, passes: 2, parallelism: 1, tagLength: 32 };

/** Nice values of this process's threads (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('password hash pool', () => {
  const pool = createHashPool({ threads: 2 });
  after(() => pool.close());

  test('derives the same argon2id tag as node:crypto, for many jobs at once', async () => {
    const jobs = Array.from({ length: 6 }, (_, i) => ({ message: `password-${i}`, nonce: randomBytes(16) }));
    const keys = await Promise.all(jobs.map((j) => pool.derive(j.message, j.nonce, PARAMS)));
    jobs.forEach((j, i) => {
      assert.deepEqual(keys[i], argon2Sync('argon2id', { ...j, ...PARAMS }));
    });
    assert.equal(new Set(keys.map((k) => k.toString('hex'))).size, 6);
  });

  test('its threads run at the lowest priority, the main thread does not', () => {
    const nice = threadNiceValues();
    assert.equal(nice.filter((n) => n === 19).length, 2, `thread nice values: ${nice.join(',')}`);
    assert.ok(nice.includes(0));
  });

  test('a failing job rejects and the pool keeps working', async () => {
    await assert.rejects(pool.derive('x', randomBytes(4), PARAMS), /nonce|salt|length|range/i);
    const nonce = randomBytes(16);
    assert.deepEqual(
      await pool.derive('ok', nonce, PARAMS),
      argon2Sync('argon2id', { message: 'ok', nonce, ...PARAMS }),
    );
  });

  test('a process waits for a pending hash, then exits on its own while the pool idles', async () => {
    const poolUrl = new URL('../../src/auth/hash-pool.ts', import.meta.url).href;
    const script = `
      const { createHashPool } = await import(${JSON.stringify(poolUrl)});
      const pool = createHashPool({ threads: 1 });
      const key = await pool.derive('x', Buffer.alloc(16), ${JSON.stringify(PARAMS)});
      console.log('derived', key.length);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    assert.equal(stdout.trim(), 'derived 32');
  });

  test('after close, pending and new jobs fail', async () => {
    const other = createHashPool({ threads: 1 });
    const pending = assert.rejects(other.derive('a', randomBytes(16), PARAMS), /stopped|closed/);
    const queued = assert.rejects(other.derive('b', randomBytes(16), PARAMS), /closed/);
    await other.close();
    await Promise.all([pending, queued]);
    await assert.rejects(other.derive('c', randomBytes(16), PARAMS), /closed/);
  });
});
