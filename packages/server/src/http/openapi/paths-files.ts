import Type from 'typebox';
import type { Paths } from './operation.ts';

const FileBody = { type: 'string', format: 'binary' } as unknown as ReturnType<typeof Type.String>;

/** Record files (PocketBase's files API). */
export const FILE_PATHS: Paths = {
  '/api/files/token': {
    post: {
      summary: 'A short-lived token for protected files (signed-in records)',
      tag: 'files',
      ok: Type.Object({ token: Type.String() }),
    },
  },
  '/api/files/{collection}/{recordId}/{filename}': {
    get: {
      summary: "Download a record's file",
      description:
        "Supports Range requests, ETag/If-None-Match and `Cache-Control`. Protected files need `?token=` and the collection's viewRule.",
      tag: 'files',
      query: {
        thumb:
          "A thumbnail size listed in the field's `thumbs` (`WxH`, `WxHt`, `WxHb`, `WxHf`, `0xH`, `Wx0`); other sizes serve the original.",
        download: '`1` to download as an attachment.',
        token: 'A file token from POST /api/files/token, for protected files.',
      },
      ok: FileBody,
      okType: 'application/octet-stream',
    },
  },
};
