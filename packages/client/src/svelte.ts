/**
 * `@forgebase/client/svelte`: a live query is a Svelte store already (`subscribe`); this
 * gives it Svelte's `Readable` shape, so `$todos` works in a component.
 *
 * @example
 * const todos = readable(fb.collection('todos').live({ sort: '-created' }));
 * // {#each $todos?.items ?? [] as todo}…{/each}
 */
import type { LiveQuery } from './realtime/live.ts';

/** Svelte's readable store contract. */
export interface Readable<T> {
  subscribe(run: (value: T) => void): () => void;
}

/** The live query as a Svelte readable store (undefined until its first result). */
export function readable<T>(live: LiveQuery<T>): Readable<T | undefined> {
  return { subscribe: (run) => live.subscribe(run) };
}
