import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { tracesUrl } from '../../src/observability/tracing-otel.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { functionsDir } from '../support/functions.ts';

/** An action that calls `url` through ctx.fetch and answers what it got back. */
const PING_MODULE = `
import { action } from '@forgebase/server/functions';
export const ping = action(async (ctx, args) => {
  const res = await ctx.fetch(args.url, { headers: { 'x-from': 'ping' } });
  return { status: res.status };
});
`;

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  status: { code?: number };
  attributes: Record<string, unknown>;
  service: unknown;
}

/**
 * A small OTLP/HTTP collector: takes the JSON exports (`POST /v1/traces`) and keeps
 * their spans, with attributes flattened to plain values.
 */
async function startReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  paths: string[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  const value = (v: Record<string, unknown>) =>
    'intValue' in v ? Number(v.intValue) : (v.stringValue ?? v.boolValue ?? v.doubleValue);
  const flat = (attrs: { key: string; value: Record<string, unknown> }[] = []) =>
    Object.fromEntries(attrs.map((a) => [a.key, value(a.value)]));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const service = flat(rs.resource?.attributes)['service.name'];
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              status: s.status ?? {},
              attributes: flat(s.attributes),
              service,
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    paths,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

for (const dialect of DIALECTS) {
  describe(`OpenTelemetry traces (${dialect})`, () => {
    let t: TestApp;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let echo: {
      url: string;
      headers: Record<string, string | string[] | undefined>[];
      close(): Promise<void>;
    };
    let fns: ReturnType<typeof functionsDir>;
    before(async () => {
      receiver = await startReceiver();
      fns = functionsDir({ 'calls.ts': PING_MODULE });
      const seen: Record<string, string | string[] | undefined>[] = [];
      const server = createServer((req, res) => {
        seen.push(req.headers);
        res.end('ok');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      echo = {
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
        headers: seen,
        close: () => new Promise<void>((r) => server.close(() => r())),
      };
      t = await startTestApp(dialect, { otelEndpoint: receiver.url, functionsDir: fns.dir });
      await t.createCollection({
        name: 'posts',
        type: 'base',
        createRule: '',
        viewRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
    });
    after(async () => {
      await t.close();
      await receiver.close();
      await echo.close();
      fns.remove();
    });

    test('a function call is a span of its request, and ctx.fetch carries the trace on', async () => {
      const res = await t.request('POST', '/api/functions/calls/ping', {
        body: { url: echo.url },
        headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, 'x-request-id': `trace-${dialect}-fn` },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { status: 200 });
      await t.app.tracing.flush();
      const request = receiver.spans.find(
        (s) => s.attributes['forgebase.request_id'] === `trace-${dialect}-fn`,
      );
      const fn = receiver.spans.find((s) => s.name === 'function calls/ping' && s.traceId === TRACE_ID);
      assert.ok(request && fn, receiver.spans.map((s) => s.name).join());
      assert.equal(fn.parentSpanId, request.spanId);
      assert.equal(fn.attributes['forgebase.function'], 'calls/ping');
      assert.equal(fn.attributes['forgebase.function.kind'], 'action');
      const call = echo.headers.at(-1);
      assert.equal(call?.['x-from'], 'ping', 'the caller’s own headers are kept');
      assert.equal(call?.traceparent, `00-${TRACE_ID}-${fn.spanId}-01`);
    });

    test('a request continues the caller’s traceparent; its statements are child spans', async () => {
      const res = await t.request('POST', '/api/collections/posts/records', {
        body: { title: 'traced' },
        headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, 'x-request-id': `trace-${dialect}-1` },
      });
      assert.equal(res.status, 200);
      await t.app.tracing.flush();
      assert.ok(
        receiver.paths.every((p) => p === 'POST /v1/traces application/json'),
        receiver.paths.join(),
      );
      const server = receiver.spans.filter(
        (s) => s.attributes['forgebase.request_id'] === `trace-${dialect}-1`,
      );
      assert.equal(server.length, 1);
      const span = server[0]!;
      assert.equal(span.name, 'POST /api/collections/:c/records');
      assert.equal(span.traceId, TRACE_ID);
      assert.equal(span.parentSpanId, CALLER_SPAN);
      assert.equal(span.kind, 2); // SERVER
      assert.equal(span.service, 'forgebase');
      assert.deepEqual(
        {
          method: span.attributes['http.request.method'],
          route: span.attributes['http.route'],
          path: span.attributes['url.path'],
          status: span.attributes['http.response.status_code'],
        },
        {
          method: 'POST',
          route: '/api/collections/:c/records',
          path: '/api/collections/posts/records',
          status: 200,
        },
      );
      const statements = receiver.spans.filter(
        (s) => s.parentSpanId === span.spanId && s.name === 'db.query',
      );
      assert.ok(statements.length > 0, 'the insert runs inside the request span');
      for (const s of statements) {
        assert.equal(s.traceId, TRACE_ID);
        assert.equal(s.kind, 3); // CLIENT
        assert.equal(s.attributes['db.system.name'], dialect === 'postgres' ? 'postgresql' : 'sqlite');
        assert.equal(typeof s.attributes['db.query.text'], 'string');
      }
      assert.ok(statements.some((s) => /insert into/i.test(String(s.attributes['db.query.text']))));
    });

    test('a request without traceparent starts a trace of its own', async () => {
      const res = await t.request('GET', '/api/health', {
        headers: { 'x-request-id': `trace-${dialect}-2` },
      });
      assert.equal(res.status, 200);
      await t.app.tracing.flush();
      const span = receiver.spans.find((s) => s.attributes['forgebase.request_id'] === `trace-${dialect}-2`);
      assert.ok(span);
      assert.equal(span.name, 'GET /api/health');
      assert.equal(span.parentSpanId, '');
      assert.match(span.traceId, /^[0-9a-f]{32}$/);
      assert.notEqual(span.traceId, TRACE_ID);
    });

    test('tracing.span nests spans and inject() hands the current one to outgoing requests', async () => {
      let outgoing: Record<string, string> = {};
      const result = await t.app.tracing.span(
        'job nightly-report',
        async () =>
          t.app.tracing.span('function reports/build', async () => {
            outgoing = t.app.tracing.inject({ accept: 'application/json' });
            return 42;
          }),
        { 'forgebase.job': 'nightly-report' },
      );
      assert.equal(result, 42);
      await assert.rejects(
        t.app.tracing.span('function reports/fail', async () => {
          throw new Error('boom');
        }),
        /boom/,
      );
      await t.app.tracing.flush();
      const job = receiver.spans.find((s) => s.name === 'job nightly-report');
      const fn = receiver.spans.find((s) => s.name === 'function reports/build');
      assert.ok(job && fn);
      assert.equal(job.parentSpanId, '');
      assert.equal(job.attributes['forgebase.job'], 'nightly-report');
      assert.equal(fn.parentSpanId, job.spanId);
      assert.equal(fn.traceId, job.traceId);
      assert.equal(outgoing.accept, 'application/json');
      assert.equal(outgoing.traceparent, `00-${fn.traceId}-${fn.spanId}-01`);
      const failed = receiver.spans.find((s) => s.name === 'function reports/fail');
      assert.equal(failed?.status.code, 2); // ERROR
    });
  });
}

describe('an unreachable collector', () => {
  test('costs the spans, not the requests nor the stop', async () => {
    // a port that was just free: nothing listens there
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as { port: number };
    await new Promise((r) => probe.close(r));
    const t = await startTestApp('sqlite', { otelEndpoint: `http://127.0.0.1:${port}` });
    try {
      assert.equal(t.app.tracing.enabled, true);
      assert.equal((await t.request('GET', '/api/health')).status, 200);
      await t.app.tracing.flush();
    } finally {
      await t.close();
    }
  });
});

describe('tracing off', () => {
  test('without otel_endpoint nothing is traced and inject() adds nothing', async () => {
    const t = await startTestApp('sqlite');
    try {
      assert.equal(t.app.tracing.enabled, false);
      assert.deepEqual(t.app.tracing.inject({ a: 'b' }), { a: 'b' });
      assert.equal(await t.app.tracing.span('x', () => 7), 7);
    } finally {
      await t.close();
    }
  });

  test('a started app imports neither the OpenTelemetry SDK nor prom-client until they are used', async () => {
    // a fresh process records every module it resolves, starts an app, scrapes nothing
    const script = `
      import { registerHooks } from 'node:module';
      import { mkdtempSync, rmSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const seen = [];
      registerHooks({ resolve(spec, ctx, next) { seen.push(spec); return next(spec, ctx); } });
      const { createApp, loadConfig } = await import(${JSON.stringify(new URL('../../src/app.ts', import.meta.url).href)});
      const dir = mkdtempSync(join(tmpdir(), 'fb-lazy-'));
      const app = await createApp(loadConfig({ http: '127.0.0.1:0', dataDir: join(dir, 'd'), migrationsDir: join(dir, 'm'), logLevel: 'silent' }, {}, dir));
      const url = await app.start();
      await fetch(url + '/api/health');
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify(seen.filter((s) => /opentelemetry|prom-client|tracing-otel/.test(s))));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), []);
  });

  test('the endpoint setting names a collector or its traces URL', () => {
    assert.equal(tracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces');
    assert.equal(
      tracesUrl('https://otel.example.com/otlp/v1/traces'),
      'https://otel.example.com/otlp/v1/traces',
    );
  });
});
