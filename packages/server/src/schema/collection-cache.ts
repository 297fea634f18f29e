import { NotFoundError } from '../errors/api-error.ts';
import type { Collection } from './collection.ts';

/** The collections by id and by lower-cased name, replaced as a whole (never mutated). */
interface Snapshot {
  byId: Map<string, Collection>;
  byName: Map<string, Collection>;
}

/**
 * The in-memory schema every request reads, and its reload from `_collections`.
 *
 * A reload swaps one snapshot for another in a single assignment, so a request sees either
 * the old or the new schema, never a mix. Reloads coalesce: while one is reading, any number
 * of further requests share one more read, which starts after the running one (so a caller
 * always gets a schema read after it asked). Each reload makes new Collection objects, which
 * also drops every cache keyed by a collection's identity (compiled statements, list SQL).
 */
export function createCollectionCache(load: () => Promise<Collection[]>) {
  let snap: Snapshot = { byId: new Map(), byName: new Map() };
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const listeners = new Set<() => void>();

  function replace(list: Collection[]): void {
    snap = {
      byId: new Map(list.map((c) => [c.id, c])),
      byName: new Map(list.map((c) => [c.name.toLowerCase(), c])),
    };
    for (const fn of listeners) fn();
  }

  function find(idOrName: string): Collection | undefined {
    const s = snap;
    return s.byId.get(idOrName) ?? s.byName.get(idOrName.toLowerCase());
  }

  function reload(): Promise<void> {
    if (queued) return queued;
    if (running) {
      const next = () => {
        queued = undefined;
        return reload();
      };
      queued = running.then(next, next);
      return queued;
    }
    running = load()
      .then(replace)
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    find,

    /** The collection, or a 404 (PocketBase: "The requested resource wasn't found."). */
    get(idOrName: string): Collection {
      const c = find(idOrName);
      if (!c) throw new NotFoundError();
      return c;
    },

    all(): Collection[] {
      return [...snap.byId.values()];
    },

    /** Re-reads every collection from the database and swaps the cache (coalesced). */
    reload,

    /** Calls `fn` after every swap of the cache (e.g. to tell a test or a metric). */
    onReload(fn: () => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

/** The cache of collections (see createCollectionCache). */
export type CollectionCache = ReturnType<typeof createCollectionCache>;
