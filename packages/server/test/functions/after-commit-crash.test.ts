import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { api, prepareServerDir, signIn } from '../support/server-api.ts';
import { childEnv, killServer, type ServerProcess, spawnServer } from '../support/server-process.ts';
import type { TestStorage } from '../support/storage.ts';

// the hook dies (kill -9 of its own process) on its first delivery: the change is
// committed, its delivery never finished, so the next start must deliver it again
const HOOK = `
import { hook } from '@forgebase/server/functions';

export const deliver = hook('events', 'afterCommitCreate', async (ctx, e) => {
  if (ctx.env.CRASH === '1') {
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => {});
  }
  await ctx.asSystem().records('delivered').create({ event: e.id, title: e.record.title });
  ctx.log.info('delivered ' + e.record.title);
});
`;

for (const dialect of DIALECTS) {
  describe(`afterCommit hooks after a crash (${dialect})`, () => {
    let storage: TestStorage | undefined;
    let server: ServerProcess | undefined;
    let args: string[] = [];
    before(async () => {
      ({ storage, args } = await prepareServerDir(dialect, 'fb-fn-crash-', {
        file: 'hooks.ts',
        source: HOOK,
      }));
    });
    after(async () => {
      await killServer(server);
      await storage?.remove();
    });

    test('a change whose delivery was cut by kill -9 is delivered after the restart', {
      timeout: 90_000,
    }, async () => {
      const dir = storage!.dir;
      server = await spawnServer(args, dir, { env: childEnv({ FORGEBASE_ENV_CRASH: '1' }) });
      let token = await signIn(server.url);
      for (const def of [
        { name: 'events', fields: [{ name: 'title', type: 'text' }] },
        {
          name: 'delivered',
          fields: [
            { name: 'event', type: 'text' },
            { name: 'title', type: 'text' },
          ],
        },
      ]) {
        const res = await api(server.url, 'POST', '/api/collections', token, def);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
      // the process may die before the answer is written (the hook runs right after commit)
      await api(server.url, 'POST', '/api/collections/events/records', token, { title: 'e1' }).catch(
        () => undefined,
      );
      const died = await server.exited;
      assert.equal(died.signal, 'SIGKILL');

      server = await spawnServer(args, dir);
      await server.waitForOutput(/delivered e1/);
      token = await signIn(server.url);
      const events = await api(server.url, 'GET', '/api/collections/events/records', token);
      assert.equal(events.body.items.length, 1);
      const list = await api(server.url, 'GET', '/api/collections/delivered/records', token);
      assert.deepEqual(
        list.body.items.map((r: any) => [r.event, r.title]),
        [[events.body.items[0].id, 'e1']],
      );
    });
  });
}
