// The load scenarios, driven by autocannon's programmatic API from the parent process.
import autocannon, { type AutocannonRequest } from 'autocannon';
import { sampleRss } from './processes.ts';
import { makeItem } from './seed.ts';

export type ScenarioName = 'get' | 'list' | 'filter' | 'create';
/** Scenarios in run order (create last: it grows the table the others read). */
export const SCENARIOS: ScenarioName[] = ['get', 'list', 'filter', 'create'];
export const SCENARIO_LABELS: Record<ScenarioName, string> = {
  get: 'GET record by id',
  list: 'list 20, sort=-score',
  filter: "list 20, filter category='games' && score>50, sort=-score",
  create: 'create (POST JSON)',
};

export const LIST_PATH = '/api/collections/items/records?perPage=20&sort=-score';
/** The filter scenario: one category and a score bound, the (category, score) index's case. */
export const FILTER = "category = 'games' && score > 50";
export const FILTER_PATH = `${LIST_PATH}&filter=${encodeURIComponent(FILTER)}`;
const RECORDS_PATH = '/api/collections/items/records';

/** What one scenario measured against one server. */
export interface ScenarioResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx, plus socket errors and timeouts; should be 0. */
  failures: number;
  /** Largest RSS of the server process seen during the scenario (warm-up included). */
  rssMaxMiB: number;
}

export interface LoadOptions {
  connections: number;
  durationSec: number;
  warmupSec: number;
}

function requestsFor(scenario: ScenarioName, ids: string[]): AutocannonRequest[] {
  if (scenario === 'get') {
    let i = 0;
    return [
      {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `${RECORDS_PATH}/${ids[i++ % ids.length]}` }),
      },
    ];
  }
  if (scenario === 'list') return [{ method: 'GET', path: LIST_PATH }];
  if (scenario === 'filter') return [{ method: 'GET', path: FILTER_PATH }];
  let n = ids.length;
  return [
    {
      method: 'POST',
      path: RECORDS_PATH,
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: JSON.stringify(makeItem(n++)) }),
    },
  ];
}

/** Runs one scenario (warm-up, then the measured window) while sampling the server's RSS. */
export async function runScenario(
  url: string,
  pid: number,
  scenario: ScenarioName,
  ids: string[],
  opts: LoadOptions,
): Promise<ScenarioResult> {
  const rss = sampleRss(pid);
  try {
    const result = await autocannon({
      url,
      connections: opts.connections,
      duration: opts.durationSec,
      timeout: 10,
      ...(opts.warmupSec > 0 ? { warmup: { connections: opts.connections, duration: opts.warmupSec } } : {}),
      requests: requestsFor(scenario, ids),
    });
    return {
      reqPerSec: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      requests: result.requests.total,
      failures: result.non2xx + result.errors + result.timeouts,
      rssMaxMiB: rss.stop(),
    };
  } finally {
    rss.stop();
  }
}
