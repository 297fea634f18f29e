import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.ts';
import { asSystem, type Viewer } from '../rules/viewer.ts';
import { accessDenied, noSuchBucket, S3Error } from '../s3/s3-error.ts';
import type { S3KeyService } from '../s3/s3-keys.ts';
import { checkScope } from '../s3/s3-keys.ts';
import type { S3KeyRow } from '../s3/s3-store.ts';
import type { Bucket } from '../storage/bucket-model.ts';
import { SigV4Error, type SigV4Result, verifySigV4 } from '../tools/sigv4.ts';
import type { HttpDeps } from './deps.ts';

/** Who signed an /s3 request, and what its body's chunks chain from. */
export interface S3Caller {
  key: S3KeyRow;
  sig: SigV4Result;
}

const callers = new WeakMap<FastifyRequest, S3Caller>();

/** Keeps the verified caller of a request for its handler. */
export const rememberCaller = (req: FastifyRequest, c: S3Caller) => void callers.set(req, c);

/** The verified caller of an /s3 request (set by the context's onRequest hook). */
export function callerOf(req: FastifyRequest): S3Caller {
  const c = callers.get(req);
  if (!c) throw accessDenied();
  return c;
}

/** S3 acts for its access key: like a superuser, within the key's scope. */
export const S3_VIEWER: Viewer = asSystem();

/** The bucket an /s3 request names, after the key's scope check (NoSuchBucket when absent). */
export async function s3Bucket(
  deps: HttpDeps,
  req: FastifyRequest,
  name: string,
  write: boolean,
): Promise<Bucket> {
  checkScope(callerOf(req).key, name, write);
  try {
    return await deps.storage.bucketFor(name);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw noSuchBucket();
    throw e;
  }
}

const CREDENTIAL_RE = /Credential=([^/,\s]+)\//;
const QUERY_CREDENTIAL_RE = /(?:^|&)X-Amz-Credential=([^&]+)/;

/** The access key id a request names (header or presigned query), before verifying anything. */
function namedKeyId(req: FastifyRequest, query: string): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') return CREDENTIAL_RE.exec(auth)?.[1];
  const q = QUERY_CREDENTIAL_RE.exec(query)?.[1];
  if (!q) return undefined;
  try {
    return decodeURIComponent(q).split('/')[0];
  } catch {
    return undefined;
  }
}

/**
 * Verifies an /s3 request's SigV4 signature (any region, service `s3`) against the access
 * key it names. Unsigned requests are refused: the S3 API has no anonymous access.
 */
export async function authenticateS3(req: FastifyRequest, keys: S3KeyService): Promise<S3Caller> {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const query = q === -1 ? '' : url.slice(q + 1);
  const id = namedKeyId(req, query);
  if (!id) throw new S3Error(403, 'AccessDenied', 'Access Denied');
  const key = await keys.find(id);
  const sig = verifySigV4(
    { method: req.method, path: q === -1 ? url : url.slice(0, q), query, headers: req.headers },
    (given) => (key && given === key.accessKeyId ? key.secret : undefined),
  );
  if (!sig.scope.endsWith('/s3/aws4_request'))
    throw new SigV4Error('AuthorizationHeaderMalformed', 'The credential must be for the s3 service.', 400);
  return { key: key!, sig };
}

const META_NAME = /^[\w-]{1,128}$/;
const META_VALUE = /^[\x20-\x7e]*$/;
/** S3 user metadata allows 2 KB of names and values. */
const MAX_META = 2048;

/** S3 user metadata from `x-amz-meta-<name>` headers (names lower-case). */
export function userMetadata(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-meta-') || typeof value !== 'string') continue;
    const key = name.slice('x-amz-meta-'.length);
    size += key.length + value.length;
    if (!META_NAME.test(key) || !META_VALUE.test(value))
      throw new S3Error(400, 'InvalidArgument', `The metadata header "${name}" is not supported.`);
    if (size > MAX_META)
      throw new S3Error(
        400,
        'MetadataTooLarge',
        'Your metadata headers exceed the maximum allowed metadata size.',
      );
    out[key] = value;
  }
  return out;
}

/** The stored metadata that can go back out as `x-amz-meta-*` headers. */
export function metadataHeaders(metadata: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata))
    if (typeof v === 'string' && META_NAME.test(k) && META_VALUE.test(v)) out[`x-amz-meta-${k}`] = v;
  return out;
}
