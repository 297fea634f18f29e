import { randomBytes, randomUUID } from 'node:crypto';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { Viewer } from '../rules/viewer.ts';
import { nowDate } from '../tools/time.ts';
import { accessDenied } from './s3-error.ts';
import type { S3KeyRow, S3Store } from './s3-store.ts';

/** An access key as the API lists it (never with its secret). */
export interface S3KeyJSON {
  id: string;
  name: string;
  accessKeyId: string;
  buckets: string[];
  readOnly: boolean;
  created: string;
  updated: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `FB` and 18 random upper-case letters and digits: 20 characters, like AWS's key ids. */
function newAccessKeyId(): string {
  const bytes = randomBytes(18);
  return `FB${[...bytes].map((b) => ALNUM[b % ALNUM.length]).join('')}`;
}

const toJSON = ({ secret: _secret, ...k }: S3KeyRow): S3KeyJSON => k;

/**
 * S3 access keys, managed by superusers. A key acts like a superuser over the buckets in
 * its scope (all when the list is empty), read-only when flagged; bucket rules do not apply.
 */
export function createS3KeyService(store: S3Store) {
  const requireSuperuser = (viewer: Viewer) => {
    if (!viewer.superuser) throw new ForbiddenError('Only superusers can manage S3 access keys.');
  };
  return {
    async list(viewer: Viewer): Promise<S3KeyJSON[]> {
      requireSuperuser(viewer);
      return (await store.listKeys()).map(toJSON);
    },

    /** Creates a key; the answer is the only time the secret is shown. */
    async create(
      body: Record<string, unknown>,
      viewer: Viewer,
    ): Promise<S3KeyJSON & { secretAccessKey: string }> {
      requireSuperuser(viewer);
      const { name = '', buckets = [], readOnly = false } = body;
      const errors: Record<string, ReturnType<typeof fieldError>> = {};
      if (typeof name !== 'string' || name.length > 100)
        errors.name = fieldError(FieldCode.invalidName, 'Must be a text of at most 100 characters.');
      if (!Array.isArray(buckets) || buckets.some((b) => typeof b !== 'string' || b === ''))
        errors.buckets = fieldError(FieldCode.invalidBuckets, 'Must be a list of bucket names.');
      if (typeof readOnly !== 'boolean')
        errors.readOnly = fieldError(FieldCode.invalidBool, 'Must be true or false.');
      if (Object.keys(errors).length > 0) throw new BadRequestError('Failed to create the key.', errors);
      const now = nowDate();
      const row: S3KeyRow = {
        id: randomUUID(),
        name: name as string,
        accessKeyId: newAccessKeyId(),
        secret: randomBytes(30).toString('base64url'),
        buckets: [...new Set(buckets as string[])],
        readOnly: readOnly as boolean,
        created: now,
        updated: now,
      };
      await store.insertKey(row);
      return { ...toJSON(row), secretAccessKey: row.secret };
    },

    async remove(idOrAccessKeyId: string, viewer: Viewer): Promise<void> {
      requireSuperuser(viewer);
      const key = await store.findKey(idOrAccessKeyId);
      if (!key) throw new NotFoundError('Access key not found.');
      await store.deleteKey(key.id);
    },

    /** The key with this access key id (for signature checks), if any. */
    find: (accessKeyId: string) => store.findKey(accessKeyId),
  };
}

/** Refuses (AccessDenied) a bucket outside the key's scope, or a write with a read-only key. */
export function checkScope(key: S3KeyRow, bucket: string | undefined, write: boolean): void {
  if (write && key.readOnly) throw accessDenied('This access key is read-only.');
  if (bucket !== undefined && key.buckets.length > 0 && !key.buckets.includes(bucket)) throw accessDenied();
}

/** Whether the key may see a bucket (for ListBuckets). */
export const inScope = (key: S3KeyRow, bucket: string) =>
  key.buckets.length === 0 || key.buckets.includes(bucket);

export type S3KeyService = ReturnType<typeof createS3KeyService>;
