import type { Collection } from '../schema/collection.ts';
import type { RealtimeClient } from './client.ts';
import type { Topic } from './topic.ts';

/**
 * Which clients subscribe to what, by collection and record, so a change looks up its
 * few candidate clients instead of scanning every client (10k clients × 100 changes/s).
 */
export class TopicIndex {
  readonly #byKey = new Map<string, Map<RealtimeClient, number>>();

  static #key(collection: string, recordId: string | undefined): string {
    return `${collection.toLowerCase()}\u0000${recordId ?? '*'}`;
  }

  /** Records that `client` has `topic` (a client may hold several topics on one key). */
  add(client: RealtimeClient, topic: Topic): void {
    const key = TopicIndex.#key(topic.collection, topic.recordId);
    let holders = this.#byKey.get(key);
    if (!holders) {
      holders = new Map();
      this.#byKey.set(key, holders);
    }
    holders.set(client, (holders.get(client) ?? 0) + 1);
  }

  remove(client: RealtimeClient, topic: Topic): void {
    const key = TopicIndex.#key(topic.collection, topic.recordId);
    const holders = this.#byKey.get(key);
    const n = holders?.get(client);
    if (!holders || n === undefined) return;
    if (n > 1) holders.set(client, n - 1);
    else holders.delete(client);
    if (holders.size === 0) this.#byKey.delete(key);
  }

  /** Clients with a topic on this collection (by id or name) as a whole or on this record. */
  candidates(c: Collection, recordId: string): Set<RealtimeClient> {
    const out = new Set<RealtimeClient>();
    for (const name of new Set([c.id, c.name]))
      for (const rid of [recordId, undefined])
        for (const client of this.#byKey.get(TopicIndex.#key(name, rid))?.keys() ?? []) out.add(client);
    return out;
  }
}
