import { type FSWatcher, watch } from 'node:fs';

/** How long a burst of file events (an editor's save: write, rename, chmod) is gathered. */
const SETTLE_MS = 15;

/**
 * Watches a functions dir (recursively) and calls `changed` once per burst of changes to
 * its source files; returns the function that stops watching.
 */
export function watchFunctions(dir: string, changed: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, file) => {
    if (file && !/\.(ts|mts|js|mjs)$/.test(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(changed, SETTLE_MS);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
