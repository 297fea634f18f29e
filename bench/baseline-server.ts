// The bare Fastify baseline: the benchmarked record routes answered from memory, no database.
// Usage: node bench/baseline-server.ts --http 127.0.0.1:<port>
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';

type Item = Record<string, unknown> & { id: string; score: number };

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const COLLECTION = { collectionId: 'pbc_bench_items', collectionName: 'items' };

/** A PocketBase-style 15 character [a-z0-9] id. */
function newId(): string {
  const bytes = randomBytes(15);
  let id = '';
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

const arg = process.argv.indexOf('--http');
const [host, port] = (process.argv[arg + 1] ?? '127.0.0.1:8091').split(':');

const byId = new Map<string, Item>();
const items: Item[] = [];
// sorted lazily: creates only push, the first list after a create sorts once
let byScoreDesc: Item[] = [];
let dirty = false;

const app = Fastify({ logger: false });

app.get('/api/health', async () => ({ message: 'API is healthy.', code: 200, data: {} }));

app.get<{ Params: { id: string } }>('/api/collections/items/records/:id', async (req, reply) => {
  const item = byId.get(req.params.id);
  if (!item)
    return reply.code(404).send({ data: {}, message: "The requested resource wasn't found.", status: 404 });
  return item;
});

// the one filter the bench sends (`category = '<c>' && score > <n>`), evaluated in memory
const FILTER_RE = /^category = '(\w+)' && score > (\d+)$/;
const filtered = new Map<string, Item[]>();

app.get<{ Querystring: { page?: string; perPage?: string; sort?: string; filter?: string } }>(
  '/api/collections/items/records',
  async (req) => {
    const perPage = Math.min(Math.max(Number(req.query.perPage) || 30, 1), 1000);
    const page = Math.max(Number(req.query.page) || 1, 1);
    let source = items;
    if (req.query.sort === '-score' || req.query.sort === 'score') {
      if (dirty) {
        byScoreDesc = [...items].sort((a, b) => b.score - a.score);
        dirty = false;
      }
      source = req.query.sort === '-score' ? byScoreDesc : [...byScoreDesc].reverse();
    }
    const f = req.query.filter ? FILTER_RE.exec(req.query.filter) : null;
    if (f) {
      // kept per filter and sort until the next create, like the sorted copy above
      const key = `${req.query.filter}|${req.query.sort ?? ''}`;
      let hit = filtered.get(key);
      if (!hit) {
        hit = source.filter((i) => i.category === f[1] && i.score > Number(f[2]));
        filtered.set(key, hit);
      }
      source = hit;
    }
    return {
      page,
      perPage,
      totalItems: source.length,
      totalPages: Math.ceil(source.length / perPage),
      items: source.slice((page - 1) * perPage, page * perPage),
    };
  },
);

app.post<{ Body: Record<string, unknown> }>('/api/collections/items/records', async (req) => {
  const body = req.body ?? {};
  const item: Item = {
    ...COLLECTION,
    id: newId(),
    title: String(body.title ?? ''),
    category: String(body.category ?? ''),
    score: Number(body.score ?? 0),
    active: body.active === true,
  };
  items.push(item);
  byId.set(item.id, item);
  dirty = true;
  filtered.clear();
  return item;
});

await app.listen({ host: host ?? '127.0.0.1', port: Number(port) });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
