import type { FastifyInstance, FastifySchema } from 'fastify';

/** One registered route, as the OpenAPI document describes it. */
export interface RouteEntry {
  method: string;
  /** Fastify's form: `/api/collections/:c`, `*` for the rest of the path. */
  url: string;
  schema: FastifySchema;
}

const catalogs = new WeakMap<object, RouteEntry[]>();

/**
 * Starts recording every route registered on `app` (and its child contexts) with its
 * schema, through Fastify's `onRoute` hook. The HEAD routes Fastify adds to each GET are
 * left out; a HEAD route of its own (tus) is kept.
 */
export function collectRoutes(app: FastifyInstance): void {
  const list: RouteEntry[] = [];
  catalogs.set(app, list);
  const gets = new Set<string>();
  app.addHook('onRoute', (r) => {
    const methods = [r.method].flat();
    if (methods.includes('GET')) gets.add(r.url);
    for (const method of methods) {
      if (method === 'HEAD' && (methods.includes('GET') || gets.has(r.url))) continue;
      list.push({ method, url: r.url, schema: r.schema ?? {} });
    }
  });
}

/** The routes `app` registered, in registration order. */
export function routesOf(app: object): readonly RouteEntry[] {
  return catalogs.get(app) ?? [];
}
