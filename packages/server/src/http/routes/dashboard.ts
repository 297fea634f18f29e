import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors/codes.ts';
import type { HttpDeps } from '../deps.ts';
import { lookupPublicFile } from '../public-files.ts';
import { mediaBody, NoQuery, type RouteApp } from '../route-schema.ts';
import { sendValidated } from '../serve-blob.ts';
import { Type } from '../type.ts';

/** Hashed build files: their names change with their content, so they may be cached for good. */
const IMMUTABLE = /^\/assets\//;
// the dashboard calls only its own origin; no page may frame it (clickjacking)
const CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Where the built dashboard is: config `dashboard_dir`, else the `@forgebase/dashboard` package's `dist/`. */
export function dashboardDir(configured: string): string | undefined {
  if (configured) return configured;
  try {
    const pkg = createRequire(import.meta.url).resolve('@forgebase/dashboard/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * The admin dashboard at `/_/` (PocketBase's place for it): the static build of
 * `packages/dashboard`, its screens in the URL's hash, so every other path under `/_/`
 * answers `index.html`. Hashed assets are cached for a year; `index.html` is revalidated.
 */
export function dashboardRoutes(app: RouteApp, { config }: HttpDeps): void {
  const root = dashboardDir(config.dashboardDir);
  app.get(
    '/_/*',
    {
      schema: {
        summary: 'The admin dashboard',
        description: 'The dashboard’s static files; paths without a file answer its `index.html`.',
        tags: ['system'],
        params: Type.Object({ '*': Type.String({ description: 'The path inside the dashboard build.' }) }),
        querystring: NoQuery,
        response: { 200: mediaBody('text/html') },
      },
    },
    serve,
  );
  app.get(
    '/_',
    {
      schema: {
        summary: 'The admin dashboard (`/_` redirects to `/_/`)',
        tags: ['system'],
        querystring: NoQuery,
        response: { 200: mediaBody('text/html'), 301: Type.Null({ description: 'Moved to `/_/`.' }) },
      },
    },
    serve,
  );

  async function serve(req: FastifyRequest, reply: FastifyReply) {
    const path = (req.url.split('?', 1)[0] ?? '/_/').slice('/_'.length);
    // the server ignores a trailing slash when routing: `/_` and `/_/` both land here
    if (path === '') return reply.redirect('/_/', 301);
    if (!root || !existsSync(join(root, 'index.html')))
      throw errors.notFound('The dashboard is not built: `npm install` at the project root builds it.');
    // a missing asset is a 404, any other path the SPA's index.html
    const found = await lookupPublicFile(root, path, !IMMUTABLE.test(path));
    if ('missing' in found) throw errors.notFound();
    if ('redirect' in found) return reply.redirect(`/_${found.redirect}`, 301);
    const { file } = found;
    reply
      .header('content-type', file.contentType)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', IMMUTABLE.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (file.contentType.startsWith('text/html'))
      reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
    return sendValidated(req, reply, file, (range) =>
      createReadStream(file.path, range ? { start: range.start, end: range.end } : {}),
    );
  }
}
