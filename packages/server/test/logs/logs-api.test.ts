import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type PocketBase from 'pocketbase';
import { createApp } from '../../src/app.ts';
import {
  DIALECTS,
  SUPERUSER_EMAIL,
  SUPERUSER_PASSWORD,
  silentLogger,
  startTestApp,
  type TestApp,
  testConfig,
} from '../support/app.ts';
import { createUser, createUsersCollection } from '../support/auth-users.ts';
import { createManualClock } from '../support/clock.ts';
import { clientError, sdkClient } from '../support/sdk.ts';
import { testStorage } from '../support/storage.ts';

// PocketBase's request logs (apis/logs.go) through the official SDK: pb.logs.getList,
// getOne, getStats and truncate, on both dialects.

/** Polls `read` until `done` holds for its result (bounded), for what a timer writes. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until) assert.fail(`condition not met within ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const dialect of DIALECTS) {
  describe(`request logs API (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect);
      pb = sdkClient(t.url, t.superuserToken);
    });
    after(() => t.close());
    beforeEach(async () => {
      Object.assign(t.app.config, { logsMaxDays: 5, logsMinLevel: 0, logsLogIp: true, logsLogAuthId: false });
      await t.app.logs.flush();
      await pb.logs.truncate();
    });

    /** Sends plain requests, then writes the buffered entries. */
    async function send(paths: string[], init: RequestInit = {}): Promise<void> {
      for (const p of paths) await (await fetch(t.url + p, init)).text();
      await t.app.logs.flush();
    }

    test('a request is logged with PocketBase data once the buffer is written by its timer', async () => {
      await (
        await fetch(`${t.url}/api/health?probe=1`, {
          headers: { referer: 'http://example.com/page', 'user-agent': 'log-test/1.0' },
        })
      ).text();
      // no explicit flush: the periodic write brings it
      const list = await eventually(
        () => pb.logs.getList(1, 10, { filter: 'data.url = "/api/health?probe=1"' }),
        (l) => l.totalItems === 1,
      );
      const log = list.items[0]!;
      assert.deepEqual(Object.keys(log).sort(), ['created', 'data', 'id', 'level', 'message']);
      assert.match(log.id, /^[a-z0-9]{15}$/);
      assert.match(log.created, DATE_RE);
      assert.equal(log.level, 0);
      assert.equal(log.message, 'GET /api/health?probe=1');
      const { execTime, ...data } = log.data;
      assert.equal(typeof execTime, 'number');
      assert.ok(execTime >= 0);
      assert.deepEqual(data, {
        type: 'request',
        url: '/api/health?probe=1',
        method: 'GET',
        status: 200,
        referer: 'http://example.com/page',
        userAgent: 'log-test/1.0',
        auth: '',
        userIP: '127.0.0.1',
        remoteIP: '127.0.0.1',
      });
      assert.deepEqual(await pb.logs.getOne(log.id), log);
    });

    test('tokens and signatures in the URL are redacted; a failed request is an error entry', async () => {
      await send([
        '/api/files/users/abc/secret.png?token=FILE-TOKEN-123&thumb=10x10',
        '/s3/b/k?X-Amz-Credential=CRED-789&X-Amz-Signature=SIG-abc',
      ]);
      const list = await pb.logs.getList(1, 10, { sort: '@rowid' });
      assert.equal(list.totalItems, 2);
      assert.doesNotMatch(JSON.stringify(list.items), /FILE-TOKEN|CRED-789|SIG-abc/);
      const [file, s3] = list.items;
      assert.equal(file!.data.url, '/api/files/users/abc/secret.png?token=[redacted]&thumb=10x10');
      assert.equal(file!.message, 'GET /api/files/users/abc/secret.png?token=[redacted]&thumb=10x10');
      assert.equal(file!.data.status, 404);
      assert.equal(file!.level, 8);
      assert.equal(typeof file!.data.error, 'string');
      assert.equal(s3!.data.url, '/s3/b/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]');
    });

    test('a failed request records its error message and field details', async () => {
      const res = await fetch(`${t.url}/api/collections/_superusers/auth-with-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await res.json()) as { data: Record<string, unknown> };
      assert.equal(res.status, 400);
      assert.notDeepEqual(body.data, {});
      await t.app.logs.flush();
      const [log] = (await pb.logs.getList(1, 10, { filter: 'data.method = "POST"' })).items;
      assert.equal(log!.level, 8);
      assert.equal(log!.data.status, 400);
      assert.equal(log!.message, 'POST /api/collections/_superusers/auth-with-password');
      assert.deepEqual(log!.data.details, body.data);
      assert.equal(typeof log!.data.error, 'string');
      assert.notEqual(log!.data.error, '');
    });

    test('logIP and logAuthId decide whether addresses and the auth id are stored', async () => {
      const headers = { authorization: t.superuserToken };
      await send(['/api/collections?perPage=1'], { headers });
      t.app.config.logsLogIp = false;
      t.app.config.logsLogAuthId = true;
      await send(['/api/collections?perPage=2'], { headers });
      const [first, second] = (await pb.logs.getList(1, 10, { sort: '@rowid' })).items;
      assert.equal(first!.data.auth, '_superusers');
      assert.equal(first!.data.userIP, '127.0.0.1');
      assert.equal(first!.data.remoteIP, '127.0.0.1');
      assert.ok(!('authId' in first!.data));
      const superuser = await t.app.records
        .asSystem()
        .list('_superusers', { filter: `email = "${SUPERUSER_EMAIL}"` });
      assert.equal(second!.data.auth, '_superusers');
      assert.equal(second!.data.authId, superuser.items[0]!.id);
      assert.ok(!('userIP' in second!.data) && !('remoteIP' in second!.data));
    });

    test('minLevel keeps lower entries out, and maxDays 0 turns request logging off', async () => {
      t.app.config.logsMinLevel = 4;
      await send(['/api/health?minlevel=ok', '/api/nope?minlevel=missing']);
      const kept = await pb.logs.getList(1, 10);
      assert.deepEqual(
        kept.items.map((l) => [l.data.url, l.level]),
        [['/api/nope?minlevel=missing', 8]],
      );
      t.app.config.logsMinLevel = 0;
      t.app.config.logsMaxDays = 0;
      await send(['/api/health?off=1', '/api/nope?off=1']);
      assert.equal((await pb.logs.getList(1, 10)).totalItems, 1);
    });

    test('filters over data.*, level and message, with sorting and paging', async () => {
      await send(['/api/health?n=1', '/api/nope?n=2', '/api/health?n=3', '/api/also-missing?n=4']);
      const urls = async (filter: string, sort = '@rowid') =>
        (await pb.logs.getList(1, 1000, { filter, sort })).items.map((l) => l.data.url);
      assert.deepEqual(await urls('data.status = 404'), ['/api/nope?n=2', '/api/also-missing?n=4']);
      assert.deepEqual(await urls('data.status >= 400 && data.method = "GET"', '-@rowid'), [
        '/api/also-missing?n=4',
        '/api/nope?n=2',
      ]);
      assert.deepEqual(await urls('level >= 8'), ['/api/nope?n=2', '/api/also-missing?n=4']);
      assert.deepEqual(await urls('level > 4.5 && level != "8.5"'), [
        '/api/nope?n=2',
        '/api/also-missing?n=4',
      ]);
      assert.deepEqual(await urls('level = 0 && message ~ "health"'), ['/api/health?n=1', '/api/health?n=3']);
      assert.deepEqual(await urls('message = "GET /api/health?n=3"'), ['/api/health?n=3']);
      assert.deepEqual(await urls('data.auth = "" && created >= "2000-01-01"', 'data.url'), [
        '/api/also-missing?n=4',
        '/api/health?n=1',
        '/api/health?n=3',
        '/api/nope?n=2',
      ]);
      assert.deepEqual(await urls('data.nothing.here = 1'), []);
      const page = await pb.logs.getList(2, 3, { sort: '@rowid' });
      assert.deepEqual(
        { page: page.page, perPage: page.perPage, totalItems: page.totalItems, totalPages: page.totalPages },
        { page: 2, perPage: 3, totalItems: 4, totalPages: 2 },
      );
      assert.deepEqual(
        page.items.map((l) => l.data.url),
        ['/api/also-missing?n=4'],
      );
    });

    test('stats count entries per hour, honouring the filter', async () => {
      await send(['/api/health?s=1', '/api/nope?s=2', '/api/nope?s=3']);
      const created = (await pb.logs.getList(1, 10)).items.map((l) => l.created.slice(0, 13));
      if (new Set(created).size > 1) return; // the requests straddled an hour: nothing exact to assert
      const hour = `${created[0]}:00:00.000Z`;
      const all = await pb.logs.getStats();
      assert.deepEqual(all, [{ total: 3, date: hour }]);
      assert.deepEqual(await pb.logs.getStats({ filter: 'data.status = 404' }), [{ total: 2, date: hour }]);
      assert.deepEqual(await pb.logs.getStats({ filter: 'data.status = 500' }), []);
    });

    test('successful requests to the logs API itself are not logged', async () => {
      await pb.logs.getList(1, 1);
      await pb.logs.getStats();
      await clientError(() => pb.logs.getOne('missing00000000'));
      await t.app.logs.flush();
      const list = await pb.logs.getList(1, 10);
      assert.deepEqual(
        list.items.map((l) => [l.message, l.data.status]),
        [['GET /api/logs/missing00000000', 404]],
      );
    });

    test('an unknown id is a 404; invalid filters and sorts are 400s', async () => {
      const missing = await clientError(() => pb.logs.getOne('nosuchlog000000'));
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.response, {
        data: {},
        message: "The requested resource wasn't found.",
        status: 404,
      });
      for (const filter of [
        'data.status =',
        'nope = 1',
        '@request.auth.id = ""',
        '@collection._superusers.id != ""',
        'data.status ~ (',
      ]) {
        const list = await clientError(() => pb.logs.getList(1, 10, { filter }));
        assert.equal(list.status, 400, filter);
        assert.equal(list.response.data.filter?.code, 'validation_invalid_filter', filter);
        const stats = await clientError(() => pb.logs.getStats({ filter }));
        assert.equal(stats.status, 400, filter);
      }
      const sort = await clientError(() => pb.logs.getList(1, 10, { sort: 'nope' }));
      assert.equal(sort.status, 400);
    });

    test('only superusers may read or delete the logs', async () => {
      await createUsersCollection(t);
      const user = await createUser(t, 'reader@example.com');
      const asUser = sdkClient(t.url, user.token);
      const guest = sdkClient(t.url);
      const calls = (c: PocketBase) => [
        () => c.logs.getList(1, 10),
        () => c.logs.getOne('anything0000000'),
        () => c.logs.getStats(),
        () => c.logs.truncate(),
      ];
      for (const call of calls(asUser)) assert.equal((await clientError(call)).status, 403);
      for (const call of calls(guest)) assert.equal((await clientError(call)).status, 401);
      // the refused requests are logged, with who sent them
      await t.app.logs.flush();
      const refused = (await pb.logs.getList(1, 100, { filter: 'data.status = 403', sort: '@rowid' })).items;
      assert.equal(refused.length, 4);
      assert.equal(refused[0]!.data.auth, 'users');
    });

    test('after a settings change, entries the new settings would not keep are deleted', async () => {
      await send(['/api/health?keep=info', '/api/nope?keep=error']);
      // the settings API applies it at once (the PATCH itself is below the new level)
      await pb.settings.update({ logs: { minLevel: 8 } });
      const left = (await pb.logs.getList(1, 10)).items.map((l) => l.data.url);
      assert.deepEqual(left, ['/api/nope?keep=error']);
      await pb.settings.update({ logs: { minLevel: 0 } });
    });

    test('truncate deletes every entry', async () => {
      await send(['/api/health?t=1', '/api/health?t=2']);
      assert.equal((await pb.logs.getList(1, 10)).totalItems, 2);
      assert.equal(await pb.logs.truncate(), true);
      assert.equal((await pb.logs.getList(1, 10)).totalItems, 0);
    });
  });

  describe(`request log retention (${dialect})`, () => {
    const clock = createManualClock();
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, {}, { clock });
    });
    after(() => t.close());

    test('the periodic prune removes entries older than logs.maxDays', async () => {
      const DAY = 24 * 60 * 60 * 1000;
      await (await fetch(`${t.url}/api/health?age=old`)).text();
      await t.app.logs.flush();
      await clock.advance(3 * DAY);
      await (await fetch(`${t.url}/api/health?age=newer`)).text();
      await t.app.logs.flush();
      // two days later the first entry is 5 days old: the 6-hourly prune removes it
      await clock.advance(2 * DAY + 6 * 60 * 60 * 1000);
      const pb = sdkClient(t.url);
      await pb.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
      const urls = (await pb.logs.getList(1, 100, { filter: 'data.url ~ "age="' })).items.map(
        (l) => l.data.url,
      );
      assert.deepEqual(urls, ['/api/health?age=newer']);
      // maxDays 0: the next prune removes everything (PocketBase deletes up to now)
      t.app.config.logsMaxDays = 0;
      assert.ok((await t.app.logs.pruneLogs()) >= 1);
      t.app.config.logsMaxDays = 5;
      assert.equal((await pb.logs.getList(1, 10, { filter: 'data.url ~ "age="' })).totalItems, 0);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`request log shutdown (${dialect})`, () => {
    test('entries still buffered when the app stops are written, and read back after a restart', async () => {
      const storage = testStorage(dialect);
      try {
        const config = testConfig(dialect, storage.dir, storage.schema);
        // a flush interval far beyond the test: only stop() can write the entry
        const first = await createApp(config, {
          logger: silentLogger(),
          logWrites: { flushEveryMs: 3_600_000 },
        });
        const url = await first.start();
        await (await fetch(`${url}/api/health?before=stop`)).text();
        assert.equal(first.logs.writeStats.buffered, 1);
        await first.stop();
        const second = await createApp(config, { logger: silentLogger() });
        try {
          const list = await second.logs.list({ filter: 'data.url = "/api/health?before=stop"' });
          assert.equal(list.totalItems, 1);
        } finally {
          await second.stop();
        }
      } finally {
        await storage.remove();
      }
    });
  });
}
