import { errors, fields } from '../../errors/codes.ts';
import type { HttpDeps } from '../deps.ts';
import { mediaBody, NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { serveBlob } from '../serve-blob.ts';
import { Type } from '../type.ts';
import { superuserOnly, viewerOf } from '../viewer.ts';

const BackupInfo = Type.Object({
  key: Type.String(),
  size: Type.Integer(),
  modified: Type.String(),
});

const KeyParam = Type.Object({ key: Type.String({ description: 'The backup file name.' }) });

/** Uploaded backups have no size limit but the disk (PocketBase binds BodyLimit(0)). */
const UPLOAD_LIMIT = 1024 ** 4;

const tags = ['backups'];

/**
 * PocketBase's backups API (superusers): list, create, upload, download with a superuser
 * file token, delete and restore. While a restore runs, every write request of the API
 * answers 503.
 */
export function backupRoutes(app: RouteApp, { backups, auth, files, logger, audit }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  app.addHook('onRequest', async (req) => {
    if (backups.isRestoring() && !['GET', 'HEAD', 'OPTIONS'].includes(req.method))
      throw errors.unavailable('A backup is being restored; try again in a moment.');
  });
  app.get(
    '/api/backups',
    {
      preValidation,
      schema: {
        summary: 'The backup files, newest first (superusers)',
        tags,
        querystring: NoQuery,
        response: { 200: Type.Array(BackupInfo) },
      },
    },
    async () => backups.list(),
  );
  app.post(
    '/api/backups',
    {
      preValidation,
      schema: {
        summary: 'Create a backup (superusers)',
        description:
          'A zip of a consistent database snapshot and the stored files. `name` must match `^[a-z0-9_-]+\\.zip$`; without it the name is `fb_backup_<UTC time>.zip`. 400 while another backup or restore runs.',
        tags,
        querystring: NoQuery,
        body: Type.Object({ name: Type.Optional(Type.String()) }),
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const name = req.body?.name ?? '';
      await backups.create(name);
      // after the snapshot (which runs outside any transaction): the entry is not in it
      await audit.append({ action: 'backup.create', target: name });
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/backups/upload',
    {
      preValidation,
      bodyLimit: UPLOAD_LIMIT,
      schema: {
        summary: 'Upload a backup zip (multipart field `file`; superusers)',
        tags,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const part = req.isMultipart() ? await req.file({ limits: { fileSize: UPLOAD_LIMIT } }) : undefined;
      if (part?.fieldname !== 'file') {
        part?.file.resume();
        throw errors.invalid('An error occurred while validating the submitted data.', {
          file: fields.required(),
        });
      }
      await backups.upload(part.filename, part.file);
      await audit.append({ action: 'backup.upload', target: part.filename });
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/backups/:key',
    {
      schema: {
        summary: 'Download a backup (`?token=` a superuser file token)',
        tags,
        params: KeyParam,
        querystring: Type.Object({
          token: Type.Optional(
            Type.String({ description: 'A superuser file token (POST /api/files/token).' }),
          ),
        }),
        response: { 200: mediaBody('application/zip') },
      },
    },
    async (req, reply) => {
      const viewer = await files.viewerFromFileToken(req.query.token ?? '');
      if (!viewer.superuser) throw errors.forbidden('Insufficient permissions to access the resource.');
      const found = await backups.open(req.params.key);
      if (!found) throw errors.notFound();
      const { key } = req.params;
      return serveBlob(req, reply, found.store, { key, name: key, info: found.info }, true);
    },
  );
  app.delete(
    '/api/backups/:key',
    {
      preValidation,
      schema: {
        summary: 'Delete a backup (superusers)',
        tags,
        params: KeyParam,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await backups.delete(req.params.key);
      await audit.append({ action: 'backup.delete', target: req.params.key });
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/backups/:key/restore',
    {
      preValidation,
      schema: {
        summary: 'Restore a backup (superusers)',
        description:
          'Answers 204 at once; the restore then runs: writes get 503 until it is done, and the app carries on with the restored data. A failed restore leaves the data as it was (logged).',
        tags,
        params: KeyParam,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const { key } = req.params;
      const actor = await viewerOf(req, auth);
      const { done } = await backups.restore(key);
      // into the restored database: an entry made before would be replaced with the rest
      done
        .then(() => audit.append({ action: 'backup.restore', actor, ip: req.clientIp, target: key }))
        .catch((err: unknown) => logger.error({ err, key }, 'restoring a backup failed'));
      return reply.status(204).send();
    },
  );
}
