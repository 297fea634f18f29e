import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DIALECTS } from '../support/app.ts';
import { api, prepareServerDir, signIn } from '../support/server-api.ts';
import { childEnv, killServer, type ServerProcess, spawnServer } from '../support/server-process.ts';
import type { TestStorage } from '../support/storage.ts';

const JOBS = 5000;
const BATCH = 500;
const KILLS = 3;

// each job writes one record keyed by its own number, in the transaction that also marks
// it completed; nothing stops a duplicate but that transaction (no unique index)
const MODULE = `
import { job, mutation } from '@forgebase/server/functions';

export const effect = job({ transaction: true, retries: 20, backoff: 'fixed', backoffDelay: 50, timeout: '1s' },
  (ctx, { n }: { n: number }) => ctx.records('effects').create({ n, job: ctx.job?.id ?? '' }));

export const enqueueMany = mutation(async (ctx, { from, count }: { from: number; count: number }) => {
  for (let n = from; n < from + count; n++) await ctx.jobs.enqueue(effect, { n });
  return count;
});
`;

const completed = async (url: string, token: string): Promise<number> =>
  (await api(url, 'GET', '/api/jobs?state=completed&perPage=1', token)).body.totalItems;

for (const dialect of DIALECTS) {
  describe(`jobs after kill -9 (${dialect})`, () => {
    let storage: TestStorage | undefined;
    let server: ServerProcess | undefined;
    let args: string[] = [];
    const env = childEnv({ FORGEBASE_JOBS_WORKERS: '8' });
    before(async () => {
      ({ storage, args } = await prepareServerDir(dialect, 'fb-jobs-crash-', {
        file: 'crash.ts',
        source: MODULE,
      }));
    });
    after(async () => {
      await killServer(server);
      await storage?.remove();
    });

    test(`${JOBS} jobs, the server killed ${KILLS} times: every effect exists exactly once`, {
      timeout: 120_000,
    }, async () => {
      const dir = storage!.dir;
      server = await spawnServer(args, dir, { env });
      let token = await signIn(server.url);
      const made = await api(server.url, 'POST', '/api/collections', token, {
        name: 'effects',
        fields: [
          { name: 'n', type: 'number' },
          { name: 'job', type: 'text' },
        ],
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      for (let from = 0; from < JOBS; from += BATCH) {
        const res = await api(server.url, 'POST', '/api/functions/crash/enqueueMany', token, {
          from,
          count: BATCH,
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
      const doneAtKill: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        // a random moment while jobs run (chaos, not a wait for an event)
        await delay(300 + Math.floor(Math.random() * 900));
        doneAtKill.push(await completed(server.url, token));
        server.child.kill('SIGKILL');
        await server.exited;
        server = await spawnServer(args, dir, { env });
        token = await signIn(server.url);
      }
      assert.ok(doneAtKill[0]! < JOBS, `the first kill came before the queue was done (${doneAtKill})`);
      // every job completes after the last restart (bounded: leases of killed runs expire first)
      const deadline = Date.now() + 60_000;
      let done = 0;
      for (;;) {
        done = await completed(server.url, token);
        if (done >= JOBS || Date.now() >= deadline) break;
        await delay(100);
      }
      assert.equal(done, JOBS, `completed jobs (at the kills: ${doneAtKill})`);
      const counts = new Map<number, number>();
      for (let page = 1; page <= 10; page++) {
        const res = await api(
          server.url,
          'GET',
          `/api/collections/effects/records?perPage=1000&page=${page}`,
          token,
        );
        assert.equal(res.status, 200);
        for (const r of res.body.items) counts.set(r.n, (counts.get(r.n) ?? 0) + 1);
        if (page >= res.body.totalPages) break;
      }
      const twice = [...counts].filter(([, c]) => c !== 1);
      assert.deepEqual(twice, [], 'no effect twice');
      assert.equal(counts.size, JOBS, 'every effect once');
      const other = await api(server.url, 'GET', '/api/jobs?perPage=1', token);
      assert.equal(other.body.totalItems, JOBS, 'no job besides the completed ones');
    });
  });
}
