import type { RequestSpan, Tracing, TracingOptions } from './tracing-types.ts';

const NOOP_SPAN: RequestSpan = { run: (fn) => fn(), end: () => {} };

/** Tracing when `otel_endpoint` is unset: nothing is recorded, nothing loaded. */
export const NOOP_TRACING: Tracing = {
  enabled: false,
  span: async (_name, fn) => fn(),
  inject: (headers) => headers,
  dbQuery: undefined,
  startRequest: () => NOOP_SPAN,
  flush: async () => {},
  stop: async () => {},
};

/** Builds the app's tracing: the OpenTelemetry SDK is imported only when an endpoint is set. */
export async function createTracing(opts: TracingOptions): Promise<Tracing> {
  if (!opts.endpoint) return NOOP_TRACING;
  const { createOtelTracing } = await import('./tracing-otel.ts');
  return createOtelTracing({ ...opts, endpoint: opts.endpoint });
}
