// The OpenTelemetry side of tracing.ts, imported only when `otel_endpoint` is set.
//
// The SDK is @opentelemetry/sdk-trace (TracerProvider + BatchSpanProcessor) with the
// OTLP/HTTP JSON exporter, not sdk-node: sdk-node brings auto-instrumentations, metrics
// and logs SDKs and registers process-wide globals, while several apps may share one
// process (tests) and we only need spans. For the same reason nothing here registers a
// global tracer provider, context manager or propagator: the current span lives in this
// app's own AsyncLocalStorage and every span is started with an explicit parent.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type {
  HeaderCarrier,
  RequestSpan,
  TraceAttributes,
  Tracing,
  TracingOptions,
} from './tracing-types.ts';

const MAX_SQL_LENGTH = 2000;

/** Tracing through the OpenTelemetry SDK, exporting to `endpoint` over OTLP/HTTP (JSON). */
export function createOtelTracing(opts: TracingOptions & { endpoint: string }): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName ?? 'forgebase' }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: tracesUrl(opts.endpoint), timeoutMillis: 5000 }),
        exportTimeoutMillis: 5000,
      }),
    ],
  });
  const tracer = provider.getTracer('forgebase');
  const current = new AsyncLocalStorage<Context>();
  const propagator = new W3CTraceContextPropagator();
  const dbSystem = opts.dialect === 'postgres' ? 'postgresql' : 'sqlite';
  let stopped = false;
  const exportFailed = (e: unknown) =>
    opts.logger.warn({ err: e, endpoint: opts.endpoint }, 'exporting traces failed');

  return {
    enabled: true,
    async span(name, fn, attributes) {
      const parent = current.getStore() ?? ROOT_CONTEXT;
      const span = tracer.startSpan(name, attributes ? { attributes } : {}, parent);
      try {
        return await current.run(trace.setSpan(parent, span), fn);
      } catch (e) {
        span.recordException(e instanceof Error ? e : String(e));
        span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
        throw e;
      } finally {
        span.end();
      }
    },
    inject(headers) {
      const ctx = current.getStore();
      if (ctx) propagator.inject(ctx, headers, defaultTextMapSetter);
      return headers;
    },
    dbQuery(sql, ms) {
      // statements outside any span (background polling, start-up) would only be noise
      const parent = current.getStore();
      if (!parent) return;
      const endTime = performance.timeOrigin + performance.now();
      tracer
        .startSpan(
          'db.query',
          {
            kind: SpanKind.CLIENT,
            startTime: endTime - ms,
            attributes: {
              'db.system.name': dbSystem,
              'db.query.text': sql.length > MAX_SQL_LENGTH ? `${sql.slice(0, MAX_SQL_LENGTH)}…` : sql,
            },
          },
          parent,
        )
        .end(endTime);
    },
    startRequest(name: string, headers: HeaderCarrier, attributes: TraceAttributes): RequestSpan {
      const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
      const ctx = trace.setSpan(parent, span);
      return {
        run: (fn) => current.run(ctx, fn),
        end(status, more) {
          span.setAttribute('http.response.status_code', status);
          if (more) span.setAttributes(more);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    // an unreachable collector costs spans, never the app: export failures are logged
    async flush() {
      await provider.forceFlush().catch((e: unknown) => exportFailed(e));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await provider.shutdown().catch((e: unknown) => exportFailed(e));
    },
  };
}

/** The OTLP traces URL of an endpoint setting (OpenTelemetry's OTEL_EXPORTER_OTLP_ENDPOINT rule). */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}
