// The part of autocannon's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  /** One request template; `setupRequest` may rewrite it before each send. */
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (
      req: AutocannonRequest,
      context: Record<string, unknown>,
    ) => AutocannonRequest | undefined;
  }

  export interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    timeout?: number;
    /** Requests per second across all connections (a steady stream instead of flat out). */
    overallRate?: number;
    warmup?: { connections?: number; duration?: number };
    requests?: AutocannonRequest[];
  }

  /** Percentile summary of one histogram (latency in ms, requests per second, bytes per second). */
  export interface AutocannonStats {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: AutocannonStats;
    requests: AutocannonStats;
    throughput: AutocannonStats;
  }

  export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
    stop(): void;
  }

  function autocannon(opts: AutocannonOptions): AutocannonInstance;
  export default autocannon;
}
