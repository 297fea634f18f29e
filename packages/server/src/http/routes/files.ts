import type { HttpDeps } from '../deps.ts';
import { mediaBody, NoQuery, type RouteApp } from '../route-schema.ts';
import { serveBlob } from '../serve-blob.ts';
import { Type } from '../type.ts';
import { viewerOf } from '../viewer.ts';

const tags = ['files'];

/** PocketBase's files API: file tokens and record file downloads (with thumbs). */
export function fileRoutes(app: RouteApp, { files, auth }: HttpDeps): void {
  app.post(
    '/api/files/token',
    {
      schema: {
        summary: 'A short-lived token for protected files (signed-in records)',
        tags,
        querystring: NoQuery,
        response: { 200: Type.Object({ token: Type.String() }) },
      },
    },
    async (req) => files.fileToken(await viewerOf(req, auth)),
  );

  app.get(
    '/api/files/:collection/:recordId/:filename',
    {
      schema: {
        summary: "Download a record's file",
        description:
          "Supports Range requests, ETag/If-None-Match and `Cache-Control`. Protected files need `?token=` and the collection's viewRule.",
        tags,
        params: Type.Object({ collection: Type.String(), recordId: Type.String(), filename: Type.String() }),
        querystring: Type.Object({
          thumb: Type.Optional(
            Type.String({
              description:
                "A thumbnail size listed in the field's `thumbs` (`WxH`, `WxHt`, `WxHb`, `WxHf`, `0xH`, `Wx0`); other sizes serve the original.",
            }),
          ),
          download: Type.Optional(Type.String({ description: '`1` to download as an attachment.' })),
          token: Type.Optional(
            Type.String({ description: 'A file token from POST /api/files/token, for protected files.' }),
          ),
        }),
        response: { 200: mediaBody('application/octet-stream') },
      },
    },
    async (req, reply) => {
      const { thumb, token, download } = req.query;
      const served = await files.open(req.params.collection, req.params.recordId, req.params.filename, {
        thumb,
        token,
      });
      return serveBlob(req, reply, files.blobs, served, /^(1|t|true)$/i.test(download ?? ''));
    },
  );
}
