/**
 * `@forgebase/client/react`: `useLive` over React's `useSyncExternalStore`. React is passed
 * in, so the client has no dependency on it.
 *
 * @example
 * const useLive = createUseLive(React); // React: the app's own React namespace
 * function Todos() {
 *   const todos = useLive(() => fb.collection('todos').live({ sort: '-created' }), []);
 *   return <ul>{todos?.items.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
 * }
 */
import type { LiveQuery } from './realtime/live.ts';

/** The React hooks `useLive` needs. */
export interface ReactHooks {
  useSyncExternalStore<S>(subscribe: (onChange: () => void) => () => void, snapshot: () => S): S;
  useMemo<V>(make: () => V, deps: readonly unknown[]): V;
}

/**
 * Makes `useLive(make, deps)`: the current value of the live query `make()` returns (made
 * again when `deps` change), re-rendering on every change; closed when unmounted.
 */
export function createUseLive(react: ReactHooks) {
  return function useLive<T>(make: () => LiveQuery<T>, deps: readonly unknown[]): T | undefined {
    const live = react.useMemo(make, deps);
    return react.useSyncExternalStore(
      (onChange) => live.subscribe(() => onChange()),
      () => live.value,
    );
  };
}
