import { registerHooks } from 'node:module';

/** Where `@forgebase/server/functions` resolves for a project's functions. */
const DEFINE_URL = new URL('./define.ts', import.meta.url).href;

/** The query parameter that names a load of the functions dir (a new one per reload). */
export const VERSION_PARAM = 'fbv';

// Node's module hooks are process-wide, so the set of functions dirs they serve is too (the
// one exception to "no module-level state": several apps of one process add their own root)
const roots = new Set<string>();
let registered = false;

const withoutQuery = (url: string) => url.split('?')[0]!;
const inRoot = (url: string) => {
  const bare = withoutQuery(url);
  for (const r of roots) if (bare.startsWith(r)) return true;
  return false;
};

/**
 * Makes modules under `rootUrl` (a functions dir, ending in `/`) resolve as functions do:
 * `@forgebase/server/functions` is this server's define.ts (a project outside this repo
 * has no such package installed), another bare name the project cannot resolve comes from
 * the server's own dependencies (`typebox`), and a relative import inherits its importer's
 * `?fbv=` version, so a reload re-evaluates the whole graph of relative imports, not only
 * the files that changed (ESM caches by URL).
 */
export function serveFunctionsRoot(rootUrl: string): () => void {
  roots.add(rootUrl);
  if (!registered) {
    registered = true;
    registerHooks({
      resolve(specifier, context, nextResolve) {
        const parent = context.parentURL;
        if (!parent || !inRoot(parent)) return nextResolve(specifier, context);
        if (specifier === '@forgebase/server/functions') return { url: DEFINE_URL, shortCircuit: true };
        if (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/')) {
          const resolved = nextResolve(specifier, context);
          const version = new URL(parent).searchParams.get(VERSION_PARAM);
          if (!version || !resolved.url.startsWith('file:') || !inRoot(resolved.url)) return resolved;
          const url = new URL(resolved.url);
          url.searchParams.set(VERSION_PARAM, version);
          return { ...resolved, url: url.href };
        }
        try {
          return nextResolve(specifier, context);
        } catch (e) {
          if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
          return nextResolve(specifier, { ...context, parentURL: DEFINE_URL });
        }
      },
    });
  }
  return () => {
    roots.delete(rootUrl);
  };
}
