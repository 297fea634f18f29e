/** The storage API's route schemas and documentation texts (routes in storage.ts). */
import { mediaBody, ObjectNameParam } from '../route-schema.ts';
import { Type } from '../type.ts';

const Rule = Type.Union([Type.String(), Type.Null()]);
export const Bucket = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: '3 to 63 lowercase letters, digits, dots and hyphens (S3 rules).' }),
    public: Type.Boolean({ description: 'Anyone may download its objects.' }),
    allowedMimeTypes: Type.Array(Type.String(), {
      description: '`image/png`, `image/*`; empty allows every type.',
    }),
    maxSize: Type.Integer({ description: 'Largest object in bytes; 0 for no limit.' }),
    listRule: Rule,
    viewRule: Rule,
    createRule: Rule,
    updateRule: Rule,
    deleteRule: Rule,
  },
  {
    description:
      'Rules use the filter language over objects (`name`, `size`, `mimeType`, `owner`, `metadata.*`, `created`, `updated`) and `@request.auth.*`; null is superusers only.',
  },
);
/** What a create or update sends: the storage service checks the values, naming every bad field. */
export const BucketInput = Type.Partial(Type.Omit(Bucket, ['id']));

export const StorageObject = Type.Object({
  id: Type.String(),
  bucket: Type.String(),
  name: Type.String(),
  key: Type.String({ description: '`<bucket>/<name>`' }),
  size: Type.Integer(),
  mimeType: Type.String({ description: 'Sniffed from the content.' }),
  etag: Type.String({ description: 'The quoted MD5 of the content.' }),
  owner: Type.String({ description: 'The id of the record that uploaded it.' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  created: Type.String(),
  updated: Type.String(),
});

export const BucketParams = Type.Object({ bucket: Type.String({ description: 'The bucket name or id.' }) });
export const ObjectParams = Type.Object({ bucket: Type.String(), '*': ObjectNameParam });
export const DownloadQuery = Type.Object({
  download: Type.Optional(Type.String({ description: '`1` to download as an attachment.' })),
});
export const SignedQuery = Type.Object({
  download: DownloadQuery.properties.download,
  token: Type.Optional(Type.String({ description: 'The token of the signed URL.' })),
});
export const TransformQuery = Type.Object({
  download: DownloadQuery.properties.download,
  width: Type.Optional(Type.String({ description: '1 to 2500 pixels.' })),
  height: Type.Optional(Type.String({ description: '1 to 2500 pixels.' })),
  resize: Type.Optional(
    Type.String({ description: '`cover` (default, crops), `contain` (fits inside) or `fill` (stretches).' }),
  ),
  format: Type.Optional(Type.String({ description: '`origin` (default), `webp`, `avif`, `jpeg` or `png`.' })),
  quality: Type.Optional(Type.String({ description: '20 to 100 (default 80).' })),
});
export const ObjectListBody = Type.Object({
  prefix: Type.Optional(Type.String()),
  delimiter: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ description: 'At most 1000.' })),
  offset: Type.Optional(Type.Integer()),
  after: Type.Optional(Type.String()),
  search: Type.Optional(Type.String()),
  sortBy: Type.Optional(
    Type.Object({ column: Type.Optional(Type.String()), order: Type.Optional(Type.String()) }),
  ),
});
export const MoveBody = Type.Object({
  bucketId: Type.Optional(Type.String()),
  sourceKey: Type.Optional(Type.String()),
  destinationKey: Type.Optional(Type.String()),
  destinationBucket: Type.Optional(Type.String({ description: 'Another bucket as the target.' })),
});
export const Download = mediaBody('application/octet-stream');

const tags = ['storage'];
export const doc = (summary: string, description?: string) => ({
  summary,
  ...(description ? { description } : {}),
  tags,
  forgebase: true,
});
export const DOWNLOAD_NOTE =
  'Supports Range requests and ETag/If-None-Match; `download=1` for an attachment.';
export const UPLOAD_NOTE =
  "The request body is the object's bytes (streamed); Content-Type is a hint, the type is sniffed.";
