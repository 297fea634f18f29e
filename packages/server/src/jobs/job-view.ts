import { formatDate } from '../tools/time.ts';
import type { JobRow } from './job-store.ts';

/** A job as `/api/jobs` answers it (dates in PocketBase's format). */
export interface JobView {
  id: string;
  name: string;
  args: unknown;
  state: string;
  priority: number;
  attempts: number;
  maxAttempts: number;
  key: string;
  runAt: string;
  lastError: string;
  result: unknown;
  created: string;
  updated: string;
  finished: string;
}

const date = (ms: number | null) => (ms === null ? '' : formatDate(new Date(Number(ms))));

/** The API's view of a `_jobs` row. */
export function jobView(r: JobRow): JobView {
  return {
    id: r.id,
    name: r.name,
    args: JSON.parse(r.args) as unknown,
    state: r.state,
    priority: Number(r.priority),
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    key: r.dedup_key ?? '',
    runAt: date(r.run_at),
    lastError: r.last_error ?? '',
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    created: date(r.created),
    updated: date(r.updated),
    finished: date(r.finished),
  };
}
