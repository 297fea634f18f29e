import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';

// Imports point one way (ARCHITECTURE.md "Layout"): http → services → rules/query → schema → db,
// with tools/ and errors/ leaves. Each top folder (or root file) of src/ has a rank; a file may
// import its own folder or a folder of a LOWER rank, never an equal or higher one. Type-only
// imports count too: they couple the layers as much as value imports do.

const SRC = resolve(import.meta.dirname, '../src');

/** Rank of each top folder or root file of src/ (higher imports lower). A new folder must be placed here. */
const LAYERS: Record<string, number> = {
  main: 100,
  commands: 90,
  app: 80,
  // the composition root's list of every capability's system migrations
  'system-migrations': 79,
  http: 70,
  // services built on the others
  realtime: 60,
  s3: 60,
  files: 60,
  settings: 60,
  migrations: 60,
  // whole-app snapshots: the database, the blob store, the cron registry
  backups: 60,
  // tenant databases and the Hrana-over-HTTP server (own SQLite files; metadata in db/)
  databases: 55,
  // server functions: the registry, ctx and runtime over records, changes, storage and mail
  functions: 55,
  // jobs and webhooks: over records, the change log, rules and the cron registry
  jobs: 52,
  // services
  // the cron registry (maintenance jobs, automatic backups; later user crons)
  crons: 45,
  auth: 50,
  // the audit chain: appended by services above it, lists with the logs' filter
  audit: 48,
  // request logs: the filter language and records' list parameters over `_logs`
  logs: 45,
  records: 40,
  changes: 38,
  storage: 35,
  mail: 30,
  // the rule and filter language
  rules: 25,
  query: 20,
  schema: 15,
  db: 10,
  // the key that seals secrets at rest, and the user secrets table (db, config and tools)
  secrets: 12,
  // leaves
  config: 4,
  // config.ts's structured values (rate limit rules, S3 buckets, cron schedules)
  'config-sections': 3,
  observability: 4,
  tools: 0,
  errors: 0,
};

/**
 * Upward imports still allowed, each with who removes it. The test fails when one of them
 * no longer occurs, so the list only shrinks.
 */
const EXCEPTIONS: Record<string, string> = {};

type Graph = Map<string, Set<string>>;

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports of every file under `root`, as paths relative to `root`. */
function importGraph(root: string): Graph {
  const files = sourceFiles(root);
  const known = new Set(files);
  const graph: Graph = new Map();
  for (const file of files) {
    // drop comment lines, so an example in a doc comment is not an import
    const text = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
      .join('\n');
    const targets = new Set<string>();
    for (const m of [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC)]) {
      const target = resolve(dirname(file), m[1]!);
      assert.ok(known.has(target), `${relative(root, file)} imports ${m[1]}, which is not a file of src/`);
      targets.add(relative(root, target));
    }
    graph.set(relative(root, file), targets);
  }
  return graph;
}

/** The unit a file belongs to: its top folder, or its own name for a root file. */
function unitOf(path: string): string {
  return path.split('/')[0]!.replace(/\.ts$/, '');
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Folder-level graph of a file graph, without the edges `skip` names. */
function unitGraph(graph: Graph, skip: (edge: string) => boolean): Graph {
  const units: Graph = new Map();
  for (const [from, targets] of graph) {
    const u = unitOf(from);
    if (!units.has(u)) units.set(u, new Set());
    for (const to of targets)
      if (unitOf(to) !== u && !skip(`${from} -> ${to}`)) units.get(u)!.add(unitOf(to));
  }
  return units;
}

/** Imports from a unit to one of equal or higher rank: `from -> to` lines. */
function upwardImports(graph: Graph, layers: Record<string, number>): string[] {
  const bad: string[] = [];
  for (const [from, targets] of graph)
    for (const to of targets) {
      const a = unitOf(from);
      const b = unitOf(to);
      if (a !== b && layers[a]! <= layers[b]!) bad.push(`${from} -> ${to}`);
    }
  return bad.sort();
}

describe('src/ imports point one way', () => {
  const graph = importGraph(SRC);

  test('every top folder of src/ has a place in the layer table', () => {
    const units = [...new Set([...graph.keys()].map(unitOf))];
    assert.deepEqual(
      units.filter((u) => !(u in LAYERS)),
      [],
    );
  });

  test('no file imports itself back through others', () => {
    assert.deepEqual(cycles(graph), []);
  });

  test('no folder imports itself back through others', () => {
    assert.deepEqual(cycles(unitGraph(graph, (edge) => edge in EXCEPTIONS)), []);
  });

  test('no import from a lower layer into a higher one (or across services of one rank)', () => {
    const unexpected = upwardImports(graph, LAYERS).filter((edge) => !(edge in EXCEPTIONS));
    assert.deepEqual(unexpected, []);
  });

  test('tools/ and errors/ import nothing else from src/', () => {
    const leaves = [...graph].flatMap(([from, targets]) =>
      ['tools', 'errors'].includes(unitOf(from))
        ? [...targets].filter((to) => unitOf(to) !== unitOf(from)).map((to) => `${from} -> ${to}`)
        : [],
    );
    assert.deepEqual(leaves, []);
  });

  test('every allowed exception still occurs (remove the ones that are gone)', () => {
    const upward = new Set(upwardImports(graph, LAYERS));
    assert.deepEqual(
      Object.keys(EXCEPTIONS).filter((edge) => !upward.has(edge)),
      [],
    );
  });
});

test('the checks see a cycle and an upward import', () => {
  const graph: Graph = new Map([
    ['schema/a.ts', new Set(['db/b.ts'])],
    ['db/b.ts', new Set(['db/c.ts', 'schema/a.ts'])],
    ['db/c.ts', new Set(['db/b.ts'])],
  ]);
  assert.deepEqual(cycles(graph), [['db/b.ts', 'db/c.ts', 'schema/a.ts']]);
  assert.deepEqual(cycles(unitGraph(graph, () => false)), [['db', 'schema']]);
  assert.deepEqual(upwardImports(graph, { schema: 15, db: 10 }), ['db/b.ts -> schema/a.ts']);
});
