import type { ChangeLog, ChangeRow, Following } from '../../changes/change-log.ts';
import { ApiError } from '../../errors/api-error.ts';
import { errors } from '../../errors/codes.ts';
import type { Logger } from '../../observability/logger.ts';
import type { RealtimeClient } from '../client.ts';
import { createFilterVerdicts } from '../dispatch.ts';
import { wasMember } from './key-range.ts';
import { diffBody, liveResult, resultIds } from './live-result.ts';
import { type BoundQuery, bindQuery, type RunnerDeps, withAuthRecord } from './live-runner.ts';
import type { LiveSpec } from './live-spec.ts';
import { createNaiveQueue } from './naive-queue.ts';
import { createQueryIndex } from './query-index.ts';
import { createRangeRegistry } from './range-registry.ts';
import type { ReadSet } from './read-set.ts';
import { createRerunQueue } from './rerun-queue.ts';
import { affects, type LiveSub, newSharedQuery, type SharedQuery } from './shared-query.ts';

/** How long a re-run that failed (not for the client's sake: a busy database) waits to run again. */
const RETRY_MS = 500;

/** Limits of live queries; the defaults suit a public server. */
export interface LiveOptions {
  /** Most live queries one socket may have open (default 100). */
  maxPerSocket?: number;
  /** Most re-runs in flight at once, over all queries (default 4). */
  concurrency?: number;
  /**
   * Benchmarks only (`npm run bench:live`'s baseline): every live query is its own query
   * and every change re-runs all of them, each run on its own (no sharing, no read sets,
   * no coalescing).
   */
  naive?: boolean;
}

/** What the live query engine is built from (wired in app.ts). */
export interface LiveDeps extends Omit<RunnerDeps, 'filterVerdicts'> {
  changes: ChangeLog;
  logger: Logger;
  /** Hands a frame to a client (the hub's bounded queue). */
  send(client: RealtimeClient, frame: string): void;
  /** Hears of every schema swap (a local change or another node's). */
  onSchemaChange(fn: () => void): () => void;
  options?: LiveOptions;
}

/** Counters of the engine, for /metrics and tests. */
export interface LiveStats {
  /** Live queries open, over every socket. */
  subscriptions: number;
  /** Distinct shared queries (one re-run serves all subscribers of one). */
  queries: number;
  /** Queries run (first runs and re-runs). */
  runs: number;
  /** Diff frames built (once per shared query, whatever its subscriber count). */
  diffs: number;
  /** Seconds from a change's arrival to its diff going out: sum and count. */
  diffSeconds: number;
  diffCount: number;
}

/**
 * Live queries over the realtime WebSocket (docs/live-queries.md): a list query or a
 * query function, answered with its first result, then `live.diff` frames whenever a
 * committed change alters what the caller may see. Each query keeps its read set; a
 * change re-runs only the queries it can affect, once per shared query (subscribers of
 * one spec and viewer class), coalesced while a re-run is in flight. Re-runs read the
 * database as committed, so a result never shows half of a transaction.
 */
export function createLiveQueries(deps: LiveDeps) {
  const { changes, logger, send } = deps;
  const maxPerSocket = deps.options?.maxPerSocket ?? 100;
  const naive = deps.options?.naive ?? false;
  let naiveKeys = 0;
  const runnerDeps: RunnerDeps = { ...deps, filterVerdicts: createFilterVerdicts() };
  const queries = new Map<string, SharedQuery>();
  const byClient = new Map<RealtimeClient, Map<string, LiveSub>>();
  const index = createQueryIndex();
  const ranges = createRangeRegistry(deps.records, logger);
  const stats = { runs: 0, diffs: 0, diffSeconds: 0, diffCount: 0 };
  let seen = 0;
  let following: Following | undefined;
  let unhearSchema: (() => void) | undefined;
  const queue = createRerunQueue<SharedQuery>(deps.options?.concurrency ?? 4, rerun);
  const naiveQueue = createNaiveQueue<SharedQuery>(deps.options?.concurrency ?? 4, rerun);

  function setReadSet(q: SharedQuery, readSet: ReadSet): void {
    index.remove(q);
    q.readSet = readSet;
    index.add(q);
    const next = q.bound.outOfPage ? ranges.acquire(readSet) : undefined;
    if (q.range) ranges.release(q.range);
    q.range = next;
  }

  function frameFor(sub: LiveSub, body: string): string {
    return `{"type":"live.diff","live":${JSON.stringify(sub.id)},${body}}`;
  }

  function drop(q: SharedQuery): void {
    if (q.closed) return;
    q.closed = true;
    if (queries.get(q.bound.key) === q) queries.delete(q.bound.key);
    queue.cancel(q);
    for (const j of q.joiners.splice(0)) j.resolve(false);
    index.remove(q);
    if (q.range) ranges.release(q.range);
    q.range = undefined;
  }

  function forget(sub: LiveSub): void {
    if (byClient.get(sub.client)?.delete(sub.id)) sub.client.liveQueries--;
    sub.client.lastActive = Date.now();
    sub.query.subs.delete(sub);
    if (sub.query.subs.size === 0) drop(sub.query);
  }

  /** Ends every subscription of a query that can no longer run for its viewers. */
  function fail(q: SharedQuery, err: ApiError): void {
    for (const sub of [...q.subs]) {
      send(
        sub.client,
        JSON.stringify({ type: 'live.error', live: sub.id, status: err.status, message: err.message }),
      );
      forget(sub);
    }
    drop(q);
  }

  /** Runs a query once: the first run, or a re-run that sends the diff to every subscriber. */
  async function rerun(q: SharedQuery): Promise<void> {
    if (q.closed) return;
    const seq = seen;
    const since = q.since;
    q.since = undefined;
    const joiners = q.joiners;
    q.joiners = [];
    stats.runs++;
    let out: Awaited<ReturnType<BoundQuery['run']>>;
    try {
      out = await q.bound.run();
    } catch (e) {
      for (const j of joiners) j.reject(e);
      if (!q.result) throw e; // a first run's failure is its opener's error
      if (e instanceof ApiError) fail(q, e);
      else {
        // e.g. a busy database: try again shortly, so the change is not lost
        logger.error({ err: e }, 'live query re-run failed; it runs again');
        q.since ??= since;
        setTimeout(() => {
          if (!q.closed) queue.schedule(q);
        }, RETRY_MS).unref();
      }
      return;
    }
    if (q.closed) {
      for (const j of joiners) j.resolve(false);
      return;
    }
    try {
      publish(q, out, seq, since);
    } finally {
      for (const j of joiners) j.resolve(true);
    }
  }

  /** Takes a run's answer as the query's result and sends its diff to every subscriber. */
  function publish(
    q: SharedQuery,
    out: Awaited<ReturnType<BoundQuery['run']>>,
    seq: number,
    since: number | undefined,
  ): void {
    const next = liveResult(out.value);
    const prev = q.result;
    q.result = next;
    q.ids = resultIds(next);
    q.seq = Math.max(q.seq, seq);
    setReadSet(q, out.readSet);
    if (!prev) return;
    const body = diffBody(prev, next, q.seq);
    if (body === undefined) return;
    stats.diffs++;
    if (since !== undefined) {
      stats.diffSeconds += (performance.now() - since) / 1000;
      stats.diffCount++;
    }
    for (const sub of q.subs) send(sub.client, frameFor(sub, body));
  }

  function markDirty(q: SharedQuery, at: number): void {
    q.since ??= at;
    queue.schedule(q);
  }

  /** An auth record changed: the queries that run as it re-run with its new fields (rules may read them). */
  function refreshAuth(row: ChangeRow, at: number): void {
    const c = deps.collections.find(row.collectionId);
    if (c?.type !== 'auth' || row.action !== 'update') return;
    const theirs = [...queries.values()].filter(
      (q) => q.bound.viewer.authId === row.recordId && q.bound.viewer.authCollectionId === c.id,
    );
    if (!theirs.length) return;
    deps.records
      .findById(c, row.recordId)
      .then((fresh) => {
        if (!fresh) return;
        for (const q of theirs) {
          q.bound.viewer = withAuthRecord(q.bound.viewer, fresh);
          markDirty(q, at);
        }
      })
      .catch((err: unknown) => logger.error({ err }, 'live queries: reading a changed auth record failed'));
  }

  function onChanges(rows: ChangeRow[]): void {
    const at = performance.now();
    for (const row of rows) {
      seen = Math.max(seen, row.seq);
      refreshAuth(row, at);
      if (naive) {
        for (const q of queries.values()) {
          q.since ??= at;
          naiveQueue.push(q);
        }
        continue;
      }
      for (const q of index.candidates(row.collectionId)) {
        if (queue.pending(q)) continue; // a re-run is coming anyway
        const before = q.range ? wasMember(q.range, row.recordId) : undefined;
        if (affects(q, row, before)) markDirty(q, at);
      }
      ranges.apply(row);
    }
  }

  /** Binds a spec for a client, or the shared query already made for it. */
  async function shared(client: RealtimeClient, spec: LiveSpec): Promise<SharedQuery> {
    const bound = bindQuery(runnerDeps, spec, client.viewer);
    if (naive) bound.key += `\u0000${++naiveKeys}`;
    for (let existing = queries.get(bound.key); existing; existing = queries.get(bound.key)) {
      await existing.first;
      // the shared result may predate a write this client just made: wait for a fresh run
      // (false: the query went away meanwhile, with its last subscriber; make it anew)
      const q = existing;
      const joined = await new Promise<boolean>((resolve, reject) => {
        q.joiners.push({ resolve, reject });
        queue.schedule(q);
      });
      if (joined) return q;
    }
    const q = newSharedQuery(bound, seen);
    queries.set(bound.key, q);
    // indexed before it runs: a change committed meanwhile marks it for a re-run
    setReadSet(q, bound.readSet);
    q.first = Promise.all([queue.runNow(q), q.range ? ranges.seeded(q.range) : undefined]).then(
      () => undefined,
    );
    try {
      await q.first;
    } catch (e) {
      drop(q);
      throw e;
    }
    return q;
  }

  /** Moves a subscription to the query its client's current viewer shares; sends the difference. */
  async function rebind(sub: LiveSub): Promise<void> {
    let next: SharedQuery;
    try {
      const key = bindQuery(runnerDeps, sub.spec, sub.client.viewer).key;
      if (key === sub.query.bound.key && !sub.query.closed) return;
      next = await shared(sub.client, sub.spec);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      send(
        sub.client,
        JSON.stringify({ type: 'live.error', live: sub.id, status: e.status, message: e.message }),
      );
      forget(sub);
      return;
    }
    if (byClient.get(sub.client)?.get(sub.id) !== sub) {
      // the subscription ended while its new query ran (unlive, the socket closed)
      if (next.subs.size === 0) drop(next);
      return;
    }
    const prev = sub.query;
    prev.subs.delete(sub);
    if (prev.subs.size === 0) drop(prev);
    sub.query = next;
    next.subs.add(sub);
    const body = prev.result && next.result ? diffBody(prev.result, next.result, next.seq) : undefined;
    if (body !== undefined) send(sub.client, frameFor(sub, body));
  }

  /** A schema swap: subscribers may now belong to another viewer class; every query re-runs. */
  function onSchema(): void {
    const at = performance.now();
    void (async () => {
      for (const subs of [...byClient.values()])
        for (const sub of [...subs.values()])
          await rebind(sub).catch((err: unknown) => logger.error({ err }, 'live query rebind failed'));
      for (const q of [...queries.values()]) markDirty(q, at);
    })();
  }

  return {
    /**
     * Opens a live query named `id` for a client and sends its first result
     * (`live.result`) on the client's stream, so no diff can overtake it. A 400 over the
     * socket's limit or for a name in use; a 404 for an unknown collection or function;
     * the errors of the query itself (400/403) as a list would give them.
     */
    async open(client: RealtimeClient, id: string, spec: LiveSpec): Promise<void> {
      let mine = byClient.get(client);
      if (mine?.has(id)) throw errors.badRequest('A live query with this id is open already.');
      if ((mine?.size ?? 0) >= maxPerSocket)
        throw errors.badRequest(`At most ${maxPerSocket} live queries can be open on one socket.`);
      let q = await shared(client, spec);
      // it went away in the moment since (its last subscriber left): make it anew
      while (q.closed) q = await shared(client, spec);
      if (client.closed) {
        if (q.subs.size === 0) drop(q);
        return;
      }
      mine = byClient.get(client) ?? new Map<string, LiveSub>();
      byClient.set(client, mine);
      const sub: LiveSub = { client, id, spec, query: q };
      mine.set(id, sub);
      client.liveQueries++;
      q.subs.add(sub);
      const result = q.result?.json ?? 'null';
      send(
        client,
        `{"type":"live.result","id":${JSON.stringify(id)},"live":${JSON.stringify(id)},"seq":${q.seq},"result":${result}}`,
      );
    },

    /** Stops one live query of a client (`unlive`); a 404 when there is none of that id. */
    close(client: RealtimeClient, id: string): void {
      const sub = byClient.get(client)?.get(id);
      if (!sub) throw errors.notFound('No live query with this id is open.');
      forget(sub);
    },

    /** Drops every live query of a client that went away. */
    closeClient(client: RealtimeClient): void {
      for (const sub of [...(byClient.get(client)?.values() ?? [])]) forget(sub);
      byClient.delete(client);
    },

    /** The client's auth changed: each of its live queries follows the new viewer. */
    async reviewClient(client: RealtimeClient): Promise<void> {
      for (const sub of [...(byClient.get(client)?.values() ?? [])]) await rebind(sub);
    },

    stats(): LiveStats {
      let subscriptions = 0;
      for (const m of byClient.values()) subscriptions += m.size;
      return { subscriptions, queries: queries.size, ...stats };
    },

    /** Follows the change log (after the newest change) and the schema. */
    async start(): Promise<void> {
      following = changes.follow('live-queries', onChanges, { from: 'now' });
      await following.ready;
      seen = following.position;
      unhearSchema = deps.onSchemaChange(onSchema);
    },

    async stop(): Promise<void> {
      unhearSchema?.();
      await following?.();
      following = undefined;
      for (const client of [...byClient.keys()])
        for (const sub of [...(byClient.get(client)?.values() ?? [])]) forget(sub);
      byClient.clear();
      await queue.idle();
    },
  };
}

/** The live query engine (see createLiveQueries). */
export type LiveQueries = ReturnType<typeof createLiveQueries>;
