import type { MetricSource } from '../observability/metrics.ts';
import type { JobState } from './job-store.ts';
import type { JobOutcome } from './worker-pool.ts';

interface Totals {
  runs: number;
  runSeconds: number;
  waitSeconds: number;
}

/**
 * The queue's numbers for `GET /metrics`: jobs per state (read from `_jobs` at scrape
 * time), and per job name and outcome this node's attempts, their run time and their
 * wait from due to start (sums and counts: a rate of one over the other is the mean).
 * Job names come from the project's definitions, so the labels stay bounded.
 */
export function createJobMetrics(depth: () => Promise<Map<JobState, number>>) {
  const totals = new Map<string, Totals>();
  const key = (o: JobOutcome) => `${o.name}\u0000${o.state}`;
  const samples = (value: (t: Totals) => number) =>
    [...totals].map(([k, t]) => {
      const [name, outcome] = k.split('\u0000') as [string, string];
      return { labels: { name, outcome }, value: value(t) };
    });
  const sources: MetricSource[] = [
    {
      name: 'forgebase_jobs',
      help: 'Jobs in the queue by state (queued, running, completed, failed = waiting to retry, dead).',
      type: 'gauge',
      collect: async () => [...(await depth())].map(([state, value]) => ({ labels: { state }, value })),
    },
    {
      name: 'forgebase_job_runs_total',
      help: 'Job attempts this node finished, by job name and outcome (completed, failed, dead, lost).',
      type: 'counter',
      collect: () => samples((t) => t.runs),
    },
    {
      name: 'forgebase_job_run_seconds_total',
      help: 'Seconds job attempts ran on this node, by job name and outcome.',
      type: 'counter',
      collect: () => samples((t) => t.runSeconds),
    },
    {
      name: 'forgebase_job_wait_seconds_total',
      help: 'Seconds jobs waited from due to start on this node, by job name and outcome.',
      type: 'counter',
      collect: () => samples((t) => t.waitSeconds),
    },
  ];
  return {
    sources,
    /** Counts one finished attempt (the worker pool's `onOutcome`). */
    record(o: JobOutcome): void {
      const k = key(o);
      const t = totals.get(k) ?? { runs: 0, runSeconds: 0, waitSeconds: 0 };
      t.runs += 1;
      t.runSeconds += o.runMs / 1000;
      t.waitSeconds += o.waitMs / 1000;
      totals.set(k, t);
    },
  };
}
