import { createReadStream } from 'node:fs';
import { errors } from '../../errors/codes.ts';
import type { HttpDeps } from '../deps.ts';
import { lookupPublicFile } from '../public-files.ts';
import { mediaBody, NoQuery, type RouteApp } from '../route-schema.ts';
import { sendValidated } from '../serve-blob.ts';
import { Type } from '../type.ts';

// the API and the dashboard are never answered from the public dir
const RESERVED = /^\/(api|_)(\/|$)/;

/**
 * The public dir (`fb_public`, PocketBase's `pb_public`) at `/`: every GET no other route
 * takes. ETag and Last-Modified with 304s, single byte ranges; a missing file is
 * PocketBase's JSON 404, or the root `index.html` with `indexFallback`.
 */
export function publicRoutes(app: RouteApp, { config }: HttpDeps): void {
  app.get(
    '/*',
    {
      schema: {
        summary: 'A file of the public dir',
        description:
          'Static files of `--publicDir` (default `fb_public` beside the data dir); a directory serves its `index.html`. Never answers under `/api/` or `/_/`.',
        tags: ['system'],
        params: Type.Object({ '*': Type.String({ description: 'The path inside the public dir.' }) }),
        querystring: NoQuery,
        response: { 200: mediaBody('application/octet-stream') },
      },
    },
    async (req, reply) => {
      const path = req.url.split('?', 1)[0] ?? '/';
      if (RESERVED.test(path)) throw errors.notFound();
      const found = await lookupPublicFile(config.publicDir, path, config.indexFallback);
      if ('missing' in found) throw errors.notFound();
      if ('redirect' in found) return reply.redirect(found.redirect, 301);
      const { file } = found;
      reply.header('content-type', file.contentType).header('x-content-type-options', 'nosniff');
      return sendValidated(req, reply, file, (range) =>
        createReadStream(file.path, range ? { start: range.start, end: range.end } : {}),
      );
    },
  );
}
