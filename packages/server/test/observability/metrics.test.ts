import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection } from '../support/auth-users.ts';
import { createManualClock, type ManualClock } from '../support/clock.ts';
import { Inbox, sdk } from '../support/realtime.ts';

const METRICS_TOKEN = 'scrape-token-0123456789';
const RECORD_ROUTE = '/api/collections/:c/records/:id';

/** Parses the Prometheus text format: `name{labels}` (labels as sent) → value. */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    assert.ok(m, `not an exposition line: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

async function scrape(t: TestApp): Promise<Map<string, number>> {
  const res = await t.request('GET', '/metrics', { token: 'superuser' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(res.body);
}

/** The keys (name and labels) of ForgeBase's own series: what cardinality is about. */
const seriesKeys = (m: Map<string, number>) => [...m.keys()].filter((k) => k.startsWith('forgebase_')).sort();

/** Runs `n` calls of `fn`, `width` at a time. */
async function inParallel(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

for (const dialect of DIALECTS) {
  describe(`GET /metrics (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { metricsToken: METRICS_TOKEN });
      await t.createCollection({
        name: 'posts',
        type: 'base',
        listRule: '',
        viewRule: '',
        createRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
    });
    after(() => t.close());

    test('only a superuser or the metrics token may scrape', async () => {
      assert.equal((await t.request('GET', '/metrics')).status, 401);
      assert.equal(
        (await t.request('GET', '/metrics', { token: 'Bearer wrong-token-0123456789' })).status,
        401,
      );
      await createUsersCollection(t);
      const user = await createUser(t, 'metrics@example.com');
      assert.equal((await t.request('GET', '/metrics', { token: user.token })).status, 403);
      const byToken = await t.request('GET', '/metrics', { token: `Bearer ${METRICS_TOKEN}` });
      assert.equal(byToken.status, 200);
      assert.match(byToken.body, /^# HELP /m);
      // the token opens /metrics only, not the dashboard's summary
      assert.equal(
        (await t.request('GET', '/api/metrics/summary', { token: `Bearer ${METRICS_TOKEN}` })).status,
        401,
      );
    });

    test('requests are counted by route template, method and status, with latency buckets', async () => {
      const before = await scrape(t);
      const key = (status: number) => `{method="GET",route="${RECORD_ROUTE}",status="${status}"}`;
      const created = await t.request('POST', '/api/collections/posts/records', { body: { title: 'a' } });
      assert.equal(created.status, 200);
      for (let i = 0; i < 3; i++)
        assert.equal(
          (await t.request('GET', `/api/collections/posts/records/${created.body.id}`)).status,
          200,
        );
      for (let i = 0; i < 2; i++)
        assert.equal((await t.request('GET', `/api/collections/posts/records/missing${i}`)).status, 404);
      assert.equal((await t.request('GET', '/no/such/path/at/all')).status, 404);
      assert.equal((await t.request('DELETE', '/no/such/path/at/all')).status, 404);
      assert.equal((await t.request('HEAD', '/api/health')).status, 200);
      const m = await scrape(t);
      const delta = (k: string) => (m.get(k) ?? 0) - (before.get(k) ?? 0);
      assert.equal(delta(`forgebase_http_requests_total${key(200)}`), 3);
      assert.equal(delta(`forgebase_http_requests_total${key(404)}`), 2);
      assert.equal(
        delta(
          'forgebase_http_requests_total{method="POST",route="/api/collections/:c/records",status="200"}',
        ),
        1,
      );
      // the catch-all of public files takes unknown GETs: still one template, never the raw path
      assert.equal(delta('forgebase_http_requests_total{method="GET",route="/*",status="404"}'), 1);
      // no route takes a DELETE there: one series for every such request
      assert.equal(delta('forgebase_http_requests_total{method="DELETE",route="unmatched",status="404"}'), 1);
      // the HEAD route Fastify adds to a GET counts once, as HEAD
      assert.equal(delta('forgebase_http_requests_total{method="HEAD",route="/api/health",status="200"}'), 1);
      assert.ok(![...m.keys()].some((k) => k.includes('missing0') || k.includes(created.body.id)));
      const hist = (suffix: string, extra = '') =>
        m.get(
          `forgebase_http_request_duration_seconds_${suffix}{method="GET",route="${RECORD_ROUTE}",status="200"${extra}}`,
        );
      assert.equal(hist('count'), m.get(`forgebase_http_requests_total${key(200)}`));
      assert.equal(hist('bucket', ',le="+Inf"'), hist('count'));
      assert.ok(hist('sum')! > 0);
      // cumulative buckets never decrease
      const buckets = [...m.entries()].filter(([k]) =>
        k.startsWith(
          `forgebase_http_request_duration_seconds_bucket{method="GET",route="${RECORD_ROUTE}",status="200"`,
        ),
      );
      assert.equal(buckets.length, 14);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]![1] >= buckets[i - 1]![1]);
    });

    test('database statements, connections, queue depth and size are exposed per dialect', async () => {
      const before = await scrape(t);
      const queries = `forgebase_db_query_duration_seconds_count{dialect="${dialect}"}`;
      assert.equal(
        (await t.request('POST', '/api/collections/posts/records', { body: { title: 'b' } })).status,
        200,
      );
      const m = await scrape(t);
      assert.ok(m.get(queries)! > before.get(queries)!, 'statements of the write are counted');
      assert.equal(m.get(`forgebase_db_queue_depth{dialect="${dialect}"}`), 0);
      const busy = m.get(`forgebase_db_connections{dialect="${dialect}",state="busy"}`);
      const idle = m.get(`forgebase_db_connections{dialect="${dialect}",state="idle"}`);
      assert.ok(busy !== undefined && idle !== undefined && busy + idle >= 1);
      assert.ok(m.get(`forgebase_db_size_bytes{dialect="${dialect}"}`)! > 0);
      const commits = m.get('forgebase_sqlite_group_commit_jobs_count');
      if (dialect === 'sqlite') {
        assert.ok(commits! > (before.get('forgebase_sqlite_group_commit_jobs_count') ?? 0));
        assert.equal(m.get('forgebase_sqlite_group_commit_jobs_bucket{le="+Inf"}'), commits);
      } else assert.equal(commits, undefined);
    });

    test('realtime connections and deliveries are exposed', async () => {
      const pb = sdk(t.url);
      const inbox = new Inbox<any>();
      await pb.collection('posts').subscribe('*', (e) => inbox.push(e));
      try {
        const before = await scrape(t);
        assert.equal(before.get('forgebase_realtime_connections{transport="sse"}'), 1);
        assert.equal(before.get('forgebase_realtime_connections{transport="ws"}'), 0);
        assert.equal(before.get('forgebase_realtime_subscriptions'), 1);
        await t.request('POST', '/api/collections/posts/records', { body: { title: 'live' } });
        assert.equal((await inbox.next()).record.title, 'live');
        const m = await scrape(t);
        const delivered = 'forgebase_realtime_deliveries_total{outcome="delivered"}';
        assert.equal(m.get(delivered)! - before.get(delivered)!, 1);
      } finally {
        await pb.realtime.unsubscribe();
      }
    });

    test('process metrics come from prom-client', async () => {
      const m = await scrape(t);
      assert.ok(m.get('process_cpu_user_seconds_total')! > 0);
      assert.ok(m.get('process_resident_memory_bytes')! > 0);
      assert.ok(m.has('nodejs_eventloop_lag_seconds'));
    });

    test('1,000 record ids, users and query strings add no series', async () => {
      const hit = (i: number) =>
        Promise.all([
          t.request('GET', `/api/collections/posts/records/id${i}?fields=id&x=${i}`),
          t.request('GET', '/api/collections/posts/records', { token: `Bearer user-${i}-token` }),
          t.request('GET', `/api/files/posts/id${i}/file${i}.png`),
        ]);
      // every kind of request once, so each of their series exists
      await hit(-1);
      await scrape(t);
      const base = await scrape(t);
      const first = seriesKeys(base);
      const missing = `forgebase_http_requests_total{method="GET",route="${RECORD_ROUTE}",status="404"}`;
      const before = base.get(missing)!;
      await inParallel(1000, 8, hit);
      const m = await scrape(t);
      assert.deepEqual(seriesKeys(m), first);
      assert.equal(m.get(missing)! - before, 1000);
    });
  });
}

describe('GET /api/metrics/summary', () => {
  let t: TestApp;
  let clock: ManualClock;
  before(async () => {
    clock = createManualClock();
    t = await startTestApp('sqlite', {}, { clock });
  });
  after(() => t.close());

  test('a guest is refused', async () => {
    assert.equal((await t.request('GET', '/api/metrics/summary')).status, 401);
  });

  test("gives the last minute's traffic, the totals, the database and realtime load", async () => {
    // a minute later, only what follows is recent
    await clock.advance(61_000);
    for (let i = 0; i < 5; i++) assert.equal((await t.request('GET', '/api/health')).status, 200);
    const res = await t.request('GET', '/api/metrics/summary', { token: 'superuser' });
    assert.equal(res.status, 200);
    const s = res.body;
    assert.equal(s.requestsPerMinute, 5);
    assert.equal(s.errorsPerMinute, 0);
    assert.equal(typeof s.latencyMs.p50, 'number');
    assert.ok(s.latencyMs.p50 > 0 && s.latencyMs.p50 <= s.latencyMs.p99);
    // the superuser's sign-in, the guest's refusal, five health checks
    assert.equal(s.requests, 7);
    assert.equal(s.errors, 0);
    assert.equal(s.uptimeSeconds, 61);
    assert.equal(s.db.dialect, 'sqlite');
    assert.ok(s.db.sizeBytes > 0);
    assert.equal(s.db.connections, 2);
    assert.equal(s.db.queued, 0);
    assert.deepEqual(s.realtime, { connections: 0, sse: 0, ws: 0, subscriptions: 0 });
    await clock.advance(60_000);
    const later = (await t.request('GET', '/api/metrics/summary', { token: 'superuser' })).body;
    // the summary request before was a minute ago: nothing is recent
    assert.equal(later.requestsPerMinute, 0);
    assert.deepEqual(later.latencyMs, { p50: null, p99: null });
    assert.equal(later.requests, 8);
  });

  test('app.metrics.register adds a subsystem’s numbers, before or after the first scrape', async () => {
    let depth = 3;
    t.app.metrics.register({
      name: 'forgebase_test_queue_depth',
      help: 'Jobs waiting, by queue.',
      type: 'gauge',
      collect: () => [{ labels: { queue: 'mail' }, value: depth }],
    });
    const first = await scrape(t);
    assert.equal(first.get('forgebase_test_queue_depth{queue="mail"}'), 3);
    depth = 5;
    t.app.metrics.register({
      name: 'forgebase_test_runs_total',
      help: 'Runs.',
      type: 'counter',
      collect: async () => [{ value: 9 }],
    });
    const m = await scrape(t);
    assert.equal(m.get('forgebase_test_queue_depth{queue="mail"}'), 5);
    assert.equal(m.get('forgebase_test_runs_total'), 9);
    assert.throws(
      () =>
        t.app.metrics.register({
          name: 'forgebase_test_runs_total',
          help: '',
          type: 'counter',
          collect: () => [],
        }),
      { message: 'metric forgebase_test_runs_total is already registered' },
    );
  });
});
