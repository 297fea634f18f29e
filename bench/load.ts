// The load scenarios, driven by autocannon's programmatic API from the parent process.
import autocannon, { type AutocannonRequest } from 'autocannon';
import { cpuMs, sampleRss } from './processes.ts';
import { makeItem } from './seed.ts';

export type ScenarioName =
  | 'get'
  | 'list'
  | 'filter'
  | 'getUser'
  | 'filterUser'
  | 'mixedUser'
  | 'create'
  | 'createUser';
/** Scenarios in run order (the writing ones last: they grow the table the others read). */
export const SCENARIOS: ScenarioName[] = [
  'get',
  'list',
  'filter',
  'getUser',
  'filterUser',
  'mixedUser',
  'create',
  'createUser',
];
export const SCENARIO_LABELS: Record<ScenarioName, string> = {
  get: 'GET record by id',
  list: 'list 20, sort=-score',
  filter: "list 20, filter category='games' && score>50, sort=-score",
  getUser: 'GET record by id, user token',
  filterUser: 'list 20 filter + sort, user token',
  mixedUser: 'mixed, user token: 10% create, 40% list filter, 50% GET',
  create: 'create (POST JSON)',
  createUser: 'create (POST JSON), user token',
};
/** Scenarios sent signed in as a regular user (the Authorization header of `LoadOptions.token`). */
const SIGNED_IN = new Set<ScenarioName>(['getUser', 'filterUser', 'mixedUser', 'createUser']);

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
  /** The server process's CPU time (user + system) per answered request, in µs (measured window only). */
  cpuUsPerReq: number;
}

export interface LoadOptions {
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** A regular user's auth token for the signed-in scenarios (the baseline ignores it). */
  token?: string;
}

function requestsFor(scenario: ScenarioName, ids: string[], token: string | undefined): AutocannonRequest[] {
  const auth = SIGNED_IN.has(scenario) && token ? { authorization: token } : undefined;
  let i = 0;
  const get: AutocannonRequest = {
    method: 'GET',
    ...(auth ? { headers: auth } : {}),
    setupRequest: (req) => ({ ...req, path: `${RECORDS_PATH}/${ids[i++ % ids.length]}` }),
  };
  let n = ids.length;
  const create: AutocannonRequest = {
    method: 'POST',
    path: RECORDS_PATH,
    headers: { 'content-type': 'application/json', ...auth },
    setupRequest: (req) => ({ ...req, body: JSON.stringify(makeItem(n++)) }),
  };
  const filter: AutocannonRequest = { method: 'GET', path: FILTER_PATH, ...(auth ? { headers: auth } : {}) };
  switch (scenario) {
    case 'get':
    case 'getUser':
      return [get];
    case 'list':
      return [{ method: 'GET', path: LIST_PATH }];
    case 'filter':
    case 'filterUser':
      return [filter];
    case 'mixedUser':
      // each connection goes through the list in order, over and over: 1 write in 10
      return [create, filter, get, filter, get, filter, get, filter, get, get];
    case 'create':
    case 'createUser':
      return [create];
  }
}

/** Runs one scenario (warm-up, then the measured window) while sampling the server's RSS and CPU. */
export async function runScenario(
  url: string,
  pid: number,
  scenario: ScenarioName,
  ids: string[],
  opts: LoadOptions,
): Promise<ScenarioResult> {
  const rss = sampleRss(pid);
  const requests = requestsFor(scenario, ids, opts.token);
  const load = { url, connections: opts.connections, timeout: 10, requests };
  try {
    if (opts.warmupSec > 0) await autocannon({ ...load, duration: opts.warmupSec });
    const cpuBefore = cpuMs(pid);
    const result = await autocannon({ ...load, duration: opts.durationSec });
    const cpu = cpuMs(pid) - cpuBefore;
    return {
      reqPerSec: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      requests: result.requests.total,
      failures: result.non2xx + result.errors + result.timeouts,
      rssMaxMiB: rss.stop(),
      cpuUsPerReq: (cpu * 1000) / Math.max(1, result.requests.total),
    };
  } finally {
    rss.stop();
  }
}
