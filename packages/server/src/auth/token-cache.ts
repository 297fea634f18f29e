import type { Viewer } from '../rules/viewer.ts';
import type { Clock } from '../tools/clock.ts';

interface Entry {
  viewer: Viewer;
  /** When the token expires (ms): the entry is no use after it. */
  expires: number;
  /** `collectionId/recordId` of the signed-in record. */
  owner: string;
}

/** How many verified tokens a node keeps by default (about 2 KiB each). */
export const TOKEN_CACHE_SIZE = 10_000;

/**
 * Verified auth tokens and the viewer each one resolved to, so a signed-in request costs a
 * map lookup instead of a record read and a signature check. An entry lives until the
 * token expires, or until its record changes or is deleted (`forget`, told by the record
 * writer on this node and by the change log for every node) or the schema changes
 * (`clear`). A read that raced a change is not cached: `begin()` before reading the record,
 * and `set` only stores if nothing was forgotten since. Bounded: the least recently used
 * entry goes first.
 */
export function createTokenCache({ clock, size = TOKEN_CACHE_SIZE }: { clock: Clock; size?: number }) {
  const entries = new Map<string, Entry>();
  const byOwner = new Map<string, Set<string>>();
  // bumped by every forget and clear: a read that began before one may hold stale data
  let epoch = 0;

  function drop(token: string, entry: Entry): void {
    entries.delete(token);
    const tokens = byOwner.get(entry.owner);
    tokens?.delete(token);
    if (tokens?.size === 0) byOwner.delete(entry.owner);
  }

  return {
    /** The viewer for a token verified earlier and still valid (a copy the caller may extend). */
    get(token: string): Viewer | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.expires <= clock.now()) {
        drop(token, entry);
        return undefined;
      }
      // most recently used last
      entries.delete(token);
      entries.set(token, entry);
      const { viewer } = entry;
      return viewer.auth
        ? { ...viewer, auth: { collection: viewer.auth.collection, record: { ...viewer.auth.record } } }
        : { ...viewer };
    },

    /** Marks the start of a read whose result may be cached: pass it to `set`. */
    begin(): number {
      return epoch;
    },

    /** Keeps a verified token's viewer, unless a change was heard since `begin()` returned `since`. */
    set(token: string, viewer: Viewer, expires: number, since: number): void {
      if (since !== epoch || !viewer.authCollectionId || !viewer.authId) return;
      const owner = `${viewer.authCollectionId}/${viewer.authId}`;
      const old = entries.get(token);
      if (old) drop(token, old);
      entries.set(token, { viewer, expires, owner });
      const tokens = byOwner.get(owner) ?? new Set<string>();
      byOwner.set(owner, tokens);
      tokens.add(token);
      while (entries.size > size) {
        const [oldest, entry] = entries.entries().next().value as [string, Entry];
        drop(oldest, entry);
      }
    },

    /** Drops every token of a record (it changed or was deleted). */
    forget(collectionId: string, recordId: string): void {
      epoch++;
      const owner = `${collectionId}/${recordId}`;
      for (const token of byOwner.get(owner) ?? []) entries.delete(token);
      byOwner.delete(owner);
    },

    /** Drops everything (a collection's token settings may have changed). */
    clear(): void {
      epoch++;
      entries.clear();
      byOwner.clear();
    },

    get size(): number {
      return entries.size;
    },
  };
}

/** A node's cache of verified tokens (see createTokenCache). */
export type TokenCache = ReturnType<typeof createTokenCache>;
