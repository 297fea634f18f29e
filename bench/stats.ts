// Small helpers the realtime benchmarks share: their env knobs and percentiles.

/** A positive integer from the environment (`BENCH_*`), or `fallback` when unset. */
export function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** The `p`-th percentile of `xs` (nearest rank), NaN for no samples. */
export function percentile(xs: number[], p: number): number {
  return xs.length
    ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!
    : Number.NaN;
}
