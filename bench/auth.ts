// `npm run bench:auth`: password sign-ins per second (argon2id, 19 MiB) on ForgeBase/SQLite,
// and the p99 of a steady GET-by-id stream while they run (the event loop must not stall).
// Env: BENCH_DURATION (s, default 10), BENCH_AUTH_CONNECTIONS (default 8),
// BENCH_GET_RATE (GET req/s of the side stream, default 200).
import autocannon, { type AutocannonResult } from 'autocannon';
import { killAll, waitHealthy } from './processes.ts';
import { call, createItemsCollection, seedItems } from './seed.ts';
import { cleanupAll, prepareTarget, SUPERUSER } from './targets.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const AUTH_CONNECTIONS = Number(process.env.BENCH_AUTH_CONNECTIONS ?? 8);
const GET_RATE = Number(process.env.BENCH_GET_RATE ?? 200);
const USERS = 32;
const PASSWORD = 'bench-user-password-1';
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** A GET-by-id stream at a fixed rate (autocannon's overallRate), for its latency. */
function getStream(url: string, ids: string[]) {
  let i = 0;
  return autocannon({
    url,
    connections: 10,
    overallRate: GET_RATE,
    duration: DURATION,
    requests: [
      {
        method: 'GET',
        setupRequest: (r) => ({ ...r, path: `/api/collections/items/records/${ids[i++ % ids.length]}` }),
      },
    ],
  });
}

async function main(): Promise<void> {
  const target = await prepareTarget('sqlite', { superuser: true });
  try {
    const server = await target.spawn();
    await waitHealthy(server, performance.now());
    await createItemsCollection(server.url);
    const ids = await seedItems(server.url, 1000);
    const su = await call(server.url, 'POST', '/api/collections/_superusers/auth-with-password', {
      identity: SUPERUSER.email,
      password: SUPERUSER.password,
    });
    await call(
      server.url,
      'POST',
      '/api/collections',
      { name: 'users', type: 'auth', createRule: '' },
      su.token,
    );
    const emails = Array.from({ length: USERS }, (_, n) => `user${n}@bench.example.com`);
    for (const email of emails) {
      await call(server.url, 'POST', '/api/collections/users/records', {
        email,
        password: PASSWORD,
        passwordConfirm: PASSWORD,
      });
    }
    log('GET stream alone…');
    const alone = await getStream(server.url, ids);
    log('sign-ins with the GET stream beside them…');
    let u = 0;
    const [signIns, beside] = await Promise.all([
      autocannon({
        url: server.url,
        connections: AUTH_CONNECTIONS,
        duration: DURATION,
        requests: [
          {
            method: 'POST',
            path: '/api/collections/users/auth-with-password',
            headers: { 'content-type': 'application/json' },
            setupRequest: (r) => ({
              ...r,
              body: JSON.stringify({ identity: emails[u++ % USERS], password: PASSWORD }),
            }),
          },
        ],
      }),
      getStream(server.url, ids),
    ]);
    const failed = (r: AutocannonResult) => r.non2xx + r.errors + r.timeouts;
    const rows = [
      [
        'auth-with-password',
        `${signIns.requests.average.toFixed(1)} req/s`,
        signIns.latency.p50,
        signIns.latency.p99,
        failed(signIns),
      ],
      [
        `GET by id at ${GET_RATE}/s, alone`,
        `${alone.requests.average.toFixed(0)} req/s`,
        alone.latency.p50,
        alone.latency.p99,
        failed(alone),
      ],
      [
        `GET by id at ${GET_RATE}/s, during sign-ins`,
        `${beside.requests.average.toFixed(0)} req/s`,
        beside.latency.p50,
        beside.latency.p99,
        failed(beside),
      ],
    ];
    const table = [
      '| scenario (SQLite, 2 cores) | rate | p50 ms | p99 ms | failed |',
      '|---|--:|--:|--:|--:|',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
      `Targets: sign-ins ≥ 60/s; GET p99 during sign-ins < 20 ms. ${AUTH_CONNECTIONS} sign-in connections, ${DURATION} s.`,
    ].join('\n');
    process.stdout.write(`${table}\n`);
  } finally {
    await target.cleanup();
  }
}

process.on('SIGINT', () => {
  killAll();
  cleanupAll().finally(() => process.exit(130));
});
await main();
