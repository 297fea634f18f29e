import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors/api-error.ts';
import { SUPERUSERS } from '../../schema/collection.ts';
import { readBody, withUploads } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { expandParam, listParams } from '../query-params.ts';
import { requestViewer } from '../viewer.ts';

type Params = { c: string; id: string };

/** The records API (PocketBase's): list, view, create, update, delete. */
export function recordRoutes(app: FastifyInstance, { collections, records, auth, files }: HttpDeps): void {
  const collectionOf = (name: string) => {
    const c = collections.find(name);
    if (!c) throw new NotFoundError('Missing collection context.');
    return c;
  };

  app.get<{ Params: Params }>('/api/collections/:c/records', async (req) => {
    const c = collectionOf(req.params.c);
    return records.list(
      c.id,
      listParams(req.query as Record<string, unknown>),
      await requestViewer(req, auth),
    );
  });

  // ForgeBase's own: grouped aggregates over what the list would return
  app.get<{ Params: Params }>('/api/collections/:c/aggregate', async (req) => {
    const c = collectionOf(req.params.c);
    const q = req.query as Record<string, unknown>;
    const { filter } = listParams(q);
    const text = (name: string) => (typeof q[name] === 'string' ? (q[name] as string) : undefined);
    return records.aggregate(
      c.id,
      { groupBy: text('groupBy'), fields: text('fields'), filter },
      await requestViewer(req, auth),
    );
  });

  app.get<{ Params: Params }>('/api/collections/:c/records/:id', async (req) => {
    const c = collectionOf(req.params.c);
    const expand = expandParam(req.query as Record<string, unknown>);
    return records.view(c.id, req.params.id, await requestViewer(req, auth), {
      expand,
    });
  });

  app.post<{ Params: Params }>('/api/collections/:c/records', async (req) => {
    const c = collectionOf(req.params.c);
    const uploads = files.recordReceiver(c);
    return withUploads(uploads, async () => {
      const body = await readBody(req, uploads);
      const viewer = await requestViewer(req, auth, body);
      // the one-time install token may create the first superuser, and nothing else
      const token = String(req.headers.authorization ?? '').replace(/^bearer\s+/i, '');
      if (c.name === SUPERUSERS && !viewer.superuser && auth.isInstallToken(token))
        return auth.createFirstSuperuser(body);
      const created = await records.create(c.id, body, viewer);
      await records.expand(c.id, [created], expandParam(req.query as Record<string, unknown>), viewer);
      return created;
    });
  });

  app.patch<{ Params: Params }>('/api/collections/:c/records/:id', async (req) => {
    const c = collectionOf(req.params.c);
    const uploads = files.recordReceiver(c, req.params.id);
    return withUploads(uploads, async () => {
      const body = await readBody(req, uploads);
      const viewer = await requestViewer(req, auth, body);
      const updated = await records.update(c.id, req.params.id, body, viewer);
      await records.expand(c.id, [updated], expandParam(req.query as Record<string, unknown>), viewer);
      return updated;
    });
  });

  app.delete<{ Params: Params }>('/api/collections/:c/records/:id', async (req, reply) => {
    const c = collectionOf(req.params.c);
    await records.delete(c.id, req.params.id, await requestViewer(req, auth));
    reply.status(204).send();
  });
}
