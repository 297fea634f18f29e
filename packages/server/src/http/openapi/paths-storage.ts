import Type from 'typebox';
import { type Operation, type Paths, TypeObject } from './operation.ts';

const Bucket = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: '3 to 63 lowercase letters, digits, dots and hyphens (S3 rules).' }),
    public: Type.Boolean({ description: 'Anyone may download its objects.' }),
    allowedMimeTypes: Type.Array(Type.String(), {
      description: '`image/png`, `image/*`; empty allows every type.',
    }),
    maxSize: Type.Integer({ description: 'Largest object in bytes; 0 for no limit.' }),
    listRule: Type.Union([Type.String(), Type.Null()]),
    viewRule: Type.Union([Type.String(), Type.Null()]),
    createRule: Type.Union([Type.String(), Type.Null()]),
    updateRule: Type.Union([Type.String(), Type.Null()]),
    deleteRule: Type.Union([Type.String(), Type.Null()]),
  },
  {
    description:
      'Rules use the filter language over objects (`name`, `size`, `mimeType`, `owner`, `metadata.*`, `created`, `updated`) and `@request.auth.*`; null is superusers only.',
  },
);

const StorageObject = Type.Object({
  id: Type.String(),
  bucket: Type.String(),
  name: Type.String(),
  key: Type.String({ description: '`<bucket>/<name>`' }),
  size: Type.Integer(),
  mimeType: Type.String({ description: 'Sniffed from the content.' }),
  etag: Type.String({ description: 'The quoted MD5 of the content.' }),
  owner: Type.String({ description: 'The id of the record that uploaded it.' }),
  created: Type.String(),
  updated: Type.String(),
});

const Binary = { type: 'string', format: 'binary' } as unknown as ReturnType<typeof Type.String>;
const tag = 'storage';
const upload = (summary: string, description: string): Operation => ({
  summary,
  description: `${description} The request body is the object's bytes (streamed); Content-Type is a hint, the type is sniffed.`,
  tag,
  fb: true,
  ok: StorageObject,
});
const download = (summary: string, query: Record<string, string> = {}): Operation => ({
  summary,
  description: 'Supports Range requests and ETag/If-None-Match; `download=1` for an attachment.',
  tag,
  fb: true,
  query: { download: '`1` to download as an attachment.', ...query },
  ok: Binary,
  okType: 'application/octet-stream',
});
const su = (summary: string, ok: Operation['ok'], body?: Operation['body']): Operation => ({
  summary: `${summary} (superusers)`,
  tag,
  fb: true,
  ok,
  ...(body ? { body } : {}),
});

/** ForgeBase's storage API (buckets and objects; `{objectName}` may contain slashes). */
export const STORAGE_PATHS: Paths = {
  '/api/storage/buckets': {
    get: su('List buckets', Type.Array(Bucket)),
    post: su('Create a bucket', Bucket, Bucket),
  },
  '/api/storage/buckets/{bucket}': {
    get: su('View a bucket', Bucket),
    patch: su('Update a bucket', Bucket, Bucket),
    delete: su('Delete an empty bucket (409 when not empty)', 204),
  },
  '/api/storage/buckets/{bucket}/empty': {
    post: su('Delete every object of a bucket', Type.Object({ removed: Type.Integer() })),
  },
  '/api/storage/object/{bucket}/{objectName}': {
    get: download('Download an object (viewRule; public buckets: anyone)'),
    post: upload(
      'Upload an object',
      'createRule; 409 when the name is taken unless `x-upsert: true` (then updateRule).',
    ),
    put: upload('Upload or replace an object', 'createRule for a new name, updateRule to replace.'),
    delete: { summary: 'Delete an object (deleteRule)', tag, fb: true, ok: 204 },
  },
  '/api/storage/object/{bucket}': {
    delete: {
      summary: 'Delete several objects (deleteRule; others are skipped)',
      tag,
      fb: true,
      body: Type.Object({ prefixes: Type.Array(Type.String()) }),
      ok: Type.Array(StorageObject),
    },
  },
  '/api/storage/object/info/{bucket}/{objectName}': {
    get: { summary: "An object's metadata (viewRule)", tag, fb: true, ok: StorageObject },
  },
  '/api/storage/object/list/{bucket}': {
    post: {
      summary: 'List objects (listRule)',
      description:
        'Folder listing by default (`delimiter` "/"): `prefixes` are sub-folders. `delimiter: ""` lists flat; `after` continues from `next`.',
      tag,
      fb: true,
      body: Type.Object({
        prefix: Type.Optional(Type.String()),
        delimiter: Type.Optional(Type.String()),
        limit: Type.Optional(Type.Integer({ maximum: 1000 })),
        offset: Type.Optional(Type.Integer()),
        after: Type.Optional(Type.String()),
        search: Type.Optional(Type.String()),
        sortBy: Type.Optional(Type.Object({ column: Type.String(), order: Type.String() })),
      }),
      ok: Type.Object({
        prefixes: Type.Array(Type.String()),
        items: Type.Array(StorageObject),
        truncated: Type.Boolean(),
        next: Type.Optional(Type.String()),
      }),
    },
  },
  '/api/storage/object/move': {
    post: {
      summary: 'Rename an object (updateRule at the source, createRule at the target)',
      tag,
      fb: true,
      body: TypeObject({ bucketId: 'string', sourceKey: 'string', destinationKey: 'string' }),
      ok: StorageObject,
    },
  },
  '/api/storage/object/copy': {
    post: {
      summary: 'Copy an object (viewRule at the source, createRule at the target)',
      tag,
      fb: true,
      body: TypeObject({ bucketId: 'string', sourceKey: 'string', destinationKey: 'string' }),
      ok: StorageObject,
    },
  },
  '/api/storage/object/sign/{bucket}/{objectName}': {
    post: {
      summary: 'A signed download URL (viewRule)',
      tag,
      fb: true,
      body: Type.Object({ expiresIn: Type.Integer({ minimum: 1, maximum: 604800 }) }),
      ok: Type.Object({ signedURL: Type.String() }),
    },
    get: download('Download through a signed URL', { token: 'The token of the signed URL.' }),
  },
  '/api/storage/object/upload/sign/{bucket}/{objectName}': {
    post: {
      summary: 'A signed upload URL, valid 2 hours (createRule, or updateRule with `x-upsert: true`)',
      tag,
      fb: true,
      ok: Type.Object({ url: Type.String(), token: Type.String() }),
    },
    put: upload(
      'Upload through a signed URL',
      'No auth needed: the object belongs to whoever signed the URL.',
    ),
  },
  '/api/storage/render/image/{bucket}/{objectName}': {
    get: download('A resized or converted image, cached (viewRule)', {
      width: '1 to 2500 pixels.',
      height: '1 to 2500 pixels.',
      resize: '`cover` (default, crops), `contain` (fits inside) or `fill` (stretches).',
      format: '`origin` (default), `webp`, `avif`, `jpeg` or `png`.',
      quality: '20 to 100 (default 80).',
    }),
  },
};
