// The tracing API's types, shared by tracing.ts (the no-op) and tracing-otel.ts (the SDK).
import type { Logger } from './logger.ts';

/** Span attributes: OpenTelemetry's primitive values. */
export type TraceAttributes = Record<string, string | number | boolean>;

/** Incoming headers, as Node gives them. */
export type HeaderCarrier = Record<string, string | string[] | undefined>;

/** The span of one HTTP request, opened by the request hooks (http/request-metrics.ts). */
export interface RequestSpan {
  /** Runs `fn` with this span as the current one: spans started inside are its children. */
  run<T>(fn: () => T): T;
  /** Ends the span with the response status (5xx marks it as an error). */
  end(status: number, attributes?: TraceAttributes): void;
}

/**
 * The app's traces (`app.tracing`): OpenTelemetry spans exported over OTLP/HTTP when
 * config `otel_endpoint` is set; otherwise every method is a no-op and the SDK is never
 * imported. Functions and jobs wrap their work in `span()`; `ctx.fetch` passes its headers
 * through `inject()` so the callee joins the trace.
 */
export interface Tracing {
  readonly enabled: boolean;
  /**
   * Runs `fn` in a span named `name`, a child of the current span (of the request, job or
   * function that runs it); the span ends when `fn` settles and records its error.
   * @example await app.tracing.span('function orders/place', () => run(args), { 'forgebase.function': 'orders/place' })
   */
  span<T>(name: string, fn: () => Promise<T> | T, attributes?: TraceAttributes): Promise<T>;
  /** Adds the current span's W3C `traceparent` (and `tracestate`) to `headers`, returned for chaining. */
  inject<H extends Record<string, string>>(headers: H): H;
  /** A span per database statement (the database's trace); undefined when tracing is off. */
  readonly dbQuery: ((sql: string, ms: number) => void) | undefined;
  /** Opens the span of an HTTP request, continuing the caller's trace from its `traceparent`. */
  startRequest(name: string, headers: HeaderCarrier, attributes: TraceAttributes): RequestSpan;
  /** Exports the spans that are still buffered. */
  flush(): Promise<void>;
  /** Flushes, then stops exporting. */
  stop(): Promise<void>;
}

/** Where and as what the spans go. */
export interface TracingOptions {
  /** The OTLP/HTTP endpoint: a collector's base URL (`/v1/traces` is added) or the full traces URL. */
  endpoint: string | undefined;
  /** `service.name` of the spans. */
  serviceName?: string;
  /** The database's dialect, for the statement spans' `db.system.name`. */
  dialect: 'sqlite' | 'postgres';
  logger: Logger;
}
