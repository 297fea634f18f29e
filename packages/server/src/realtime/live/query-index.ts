import type { SharedQuery } from './shared-query.ts';

/**
 * The shared queries by the collections of their read sets, so a change looks at the
 * queries that read its collection (and those whose reads cannot be named), not at all.
 */
export function createQueryIndex() {
  const byCollection = new Map<string, Set<SharedQuery>>();
  const everywhere = new Set<SharedQuery>();
  const setsOf = (q: SharedQuery) =>
    q.readSet.all
      ? [everywhere]
      : [...q.readSet.collections].map((id) => {
          const s = byCollection.get(id) ?? new Set<SharedQuery>();
          byCollection.set(id, s);
          return s;
        });

  return {
    /** Files a query under its current read set. */
    add(q: SharedQuery): void {
      for (const s of setsOf(q)) s.add(q);
    },

    /** Takes a query out (under its current read set). */
    remove(q: SharedQuery): void {
      for (const s of setsOf(q)) s.delete(q);
      for (const id of q.readSet.collections) if (byCollection.get(id)?.size === 0) byCollection.delete(id);
    },

    /** The queries a change of this collection may affect. */
    candidates(collectionId: string): SharedQuery[] {
      return [...(byCollection.get(collectionId) ?? []), ...everywhere];
    },
  };
}
