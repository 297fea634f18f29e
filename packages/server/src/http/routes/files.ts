import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { serveBlob } from '../serve-blob.ts';
import { viewerOf } from '../viewer.ts';

type Params = { collection: string; recordId: string; filename: string };

/** PocketBase's files API: file tokens and record file downloads (with thumbs). */
export function fileRoutes(app: FastifyInstance, { files, auth }: HttpDeps): void {
  app.post('/api/files/token', async (req) => files.fileToken(await viewerOf(req, auth)));

  app.get<{ Params: Params }>('/api/files/:collection/:recordId/:filename', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const served = await files.open(req.params.collection, req.params.recordId, req.params.filename, {
      thumb: text(q.thumb),
      token: text(q.token),
    });
    const download = /^(1|t|true)$/i.test(text(q.download) ?? '');
    return serveBlob(req, reply, files.blobs, served, download);
  });
}
