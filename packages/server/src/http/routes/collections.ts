import type { FastifyInstance } from 'fastify';
import { BadRequestError, ValidationError } from '../../errors/api-error.ts';
import { type Collection, collectionToJSON } from '../../schema/collection.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { listParams } from '../query-params.ts';
import { requireSuperuser } from '../viewer.ts';

const SORTABLE = new Set(['id', 'created', 'updated', 'name', 'system', 'type']);

function sortCollections(list: Collection[], sort: string | undefined): Collection[] {
  if (!sort) return list;
  const terms = sort
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => ({ desc: s.startsWith('-'), key: s.replace(/^[-+]/, '') }));
  for (const t of terms)
    if (!SORTABLE.has(t.key)) throw new BadRequestError(`Invalid sort field "${t.key.slice(0, 100)}".`);
  return [...list].sort((a, b) => {
    for (const t of terms) {
      const x = String((a as unknown as Record<string, unknown>)[t.key]);
      const y = String((b as unknown as Record<string, unknown>)[t.key]);
      if (x !== y) return (x < y ? -1 : 1) * (t.desc ? -1 : 1);
    }
    return 0;
  });
}

/** The collections API (PocketBase's): superusers only. */
export function collectionRoutes(app: FastifyInstance, { collections, records, auth }: HttpDeps): void {
  app.get('/api/collections', async (req) => {
    await requireSuperuser(req, auth);
    const p = listParams(req.query as Record<string, unknown>);
    if (p.filter?.trim()) throw new BadRequestError('Filtering is not supported yet.');
    const all = sortCollections(collections.all(), p.sort);
    const perPage = Math.min(p.perPage && p.perPage > 0 ? p.perPage : 30, 1000);
    const page = p.page && p.page > 0 ? p.page : 1;
    const items = all.slice((page - 1) * perPage, page * perPage).map(collectionToJSON);
    return {
      items,
      page,
      perPage,
      totalItems: p.skipTotal ? -1 : all.length,
      totalPages: p.skipTotal ? -1 : Math.ceil(all.length / perPage),
    };
  });

  app.get<{ Params: { c: string } }>('/api/collections/:c', async (req) => {
    await requireSuperuser(req, auth);
    return collectionToJSON(collections.get(req.params.c));
  });

  app.post('/api/collections', async (req) => {
    await requireSuperuser(req, auth);
    return collectionToJSON(await collections.create(await readBody(req)));
  });

  app.patch<{ Params: { c: string } }>('/api/collections/:c', async (req) => {
    await requireSuperuser(req, auth);
    const existing = collections.get(req.params.c);
    return collectionToJSON(await collections.update(existing.id, await readBody(req)));
  });

  app.delete<{ Params: { c: string } }>('/api/collections/:c', async (req, reply) => {
    await requireSuperuser(req, auth);
    await collections.delete(collections.get(req.params.c).id);
    reply.status(204).send();
  });

  app.delete<{ Params: { c: string } }>('/api/collections/:c/truncate', async (req, reply) => {
    await requireSuperuser(req, auth);
    await records.truncate(collections.get(req.params.c).id);
    reply.status(204).send();
  });

  app.put('/api/collections/import', async (req, reply) => {
    await requireSuperuser(req, auth);
    const body = await readBody(req);
    const list = body.collections;
    if (!Array.isArray(list) || list.length === 0) {
      throw new ValidationError('An error occurred while validating the submitted data.', {
        collections: { code: 'validation_required', message: 'Cannot be blank.' },
      });
    }
    if (list.some((c) => !c || typeof c !== 'object' || Array.isArray(c))) {
      throw new BadRequestError('An error occurred while loading the submitted data.');
    }
    await collections.import(list as Record<string, unknown>[], body.deleteMissing === true);
    reply.status(204).send();
  });
}
