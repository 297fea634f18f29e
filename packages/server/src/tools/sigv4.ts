import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4 verification for ForgeBase's S3-compatible API: the
 * `Authorization: AWS4-HMAC-SHA256 …` header form and presigned URLs (`X-Amz-*` query
 * parameters). Follows the S3 flavour of the spec: paths are not normalised and are
 * encoded once, `x-amz-content-sha256` carries the payload hash.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's date may be from ours (S3: 15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** Presigned URLs live at most 7 days (as S3). */
const MAX_EXPIRES_S = 7 * 24 * 3600;
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A signature problem, with the S3 error code a client expects. */
export class SigV4Error extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 403) {
    super(message);
    this.name = 'SigV4Error';
    this.code = code;
    this.status = status;
  }
}

/** The parts of an HTTP request a signature covers. */
export interface SignedRequest {
  method: string;
  /** The path as sent, still percent-encoded (`/bucket/my%20key`). */
  path: string;
  /** The raw query string without `?` ('' when none). */
  query: string;
  /** Header values by lower-case name (as Node gives them). */
  headers: Record<string, string | string[] | undefined>;
}

/** What a verified request carries on: who signed it and what chunk signatures chain from. */
export interface SigV4Result {
  accessKeyId: string;
  /** `x-amz-content-sha256` (or `UNSIGNED-PAYLOAD` for presigned URLs). */
  payloadHash: string;
  /** For aws-chunked bodies: the seed signature, the scope and the key the chunks use. */
  signature: string;
  amzDate: string;
  scope: string;
  signingKey: Buffer;
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-_.~` (and `/` when asked). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new SigV4Error(
      'AuthorizationQueryParametersError',
      'The request URL is not correctly encoded.',
      400,
    );
  }
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** The key a day's requests in one region and service are signed with. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** HMAC-SHA256 of a string to sign, as lower-case hex. */
export function sign(key: Buffer, stringToSign: string): string {
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function canonicalQuery(raw: string, skip?: string): string {
  if (!raw) return '';
  const pairs = raw
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      const k = decode(eq === -1 ? part : part.slice(0, eq));
      const v = decode(eq === -1 ? '' : part.slice(eq + 1));
      return [uriEncode(k), uriEncode(v)] as const;
    })
    .filter(([k]) => k !== skip);
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalRequest(
  req: SignedRequest,
  signedHeaders: string[],
  payloadHash: string,
  skip?: string,
): string {
  const headers = signedHeaders.map((name) => {
    const value = header(req, name);
    if (value === undefined && name !== 'host')
      throw new SigV4Error('SignatureDoesNotMatch', `The signed header "${name}" is missing.`);
    return `${name}:${(value ?? '').trim().replace(/\s+/g, ' ')}\n`;
  });
  return [
    req.method.toUpperCase(),
    uriEncode(decode(req.path), true),
    canonicalQuery(req.query, skip),
    headers.join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  scope: string;
}

function parseCredential(text: string): Credential {
  const parts = text.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1]!))
    throw new SigV4Error('AuthorizationHeaderMalformed', 'The credential is malformed.', 400);
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  return { accessKeyId, date, region, service, scope: parts.slice(1).join('/') };
}

function parseAmzDate(amzDate: string | undefined): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate ?? '');
  if (!m) throw new SigV4Error('AccessDenied', 'The request has no valid X-Amz-Date.');
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function compare(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a request's SigV4 signature (header or presigned query) with the secret of the
 * access key it names. Throws SigV4Error with S3's code (`InvalidAccessKeyId`,
 * `SignatureDoesNotMatch`, `RequestTimeTooSkewed`, `AccessDenied` for an expired URL).
 */
export function verifySigV4(
  req: SignedRequest,
  secretOf: (accessKeyId: string) => string | undefined,
  now: Date = new Date(),
): SigV4Result {
  const auth = header(req, 'authorization');
  const presigned = !auth && /(?:^|&)X-Amz-Algorithm=/.test(req.query);
  let cred: Credential;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  if (presigned) {
    const q = new URLSearchParams(req.query);
    if (q.get('X-Amz-Algorithm') !== ALGORITHM)
      throw new SigV4Error('AuthorizationQueryParametersError', 'Only AWS4-HMAC-SHA256 is supported.', 400);
    cred = parseCredential(q.get('X-Amz-Credential') ?? '');
    signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
    signature = q.get('X-Amz-Signature') ?? '';
    amzDate = q.get('X-Amz-Date') ?? '';
    const expires = Number(q.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_S)
      throw new SigV4Error(
        'AuthorizationQueryParametersError',
        'X-Amz-Expires must be 1 to 604800 seconds.',
        400,
      );
    const signedAt = parseAmzDate(amzDate).getTime();
    if (now.getTime() > signedAt + expires * 1000)
      throw new SigV4Error('AccessDenied', 'Request has expired');
    if (signedAt - now.getTime() > MAX_SKEW_MS)
      throw new SigV4Error('AccessDenied', 'The request is signed for a time in the future.');
    payloadHash = header(req, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  } else {
    const m =
      /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
        auth ?? '',
      );
    if (!m)
      throw new SigV4Error('AuthorizationHeaderMalformed', 'The authorization header is malformed.', 400);
    cred = parseCredential(m[1]!);
    signedHeaders = m[2]!.split(';');
    signature = m[3]!;
    amzDate = header(req, 'x-amz-date') ?? '';
    const skew = Math.abs(now.getTime() - parseAmzDate(amzDate).getTime());
    if (skew > MAX_SKEW_MS)
      throw new SigV4Error(
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
      );
    payloadHash = header(req, 'x-amz-content-sha256') ?? '';
    if (!payloadHash) throw new SigV4Error('InvalidRequest', 'Missing x-amz-content-sha256.', 400);
  }
  if (!amzDate.startsWith(cred.date))
    throw new SigV4Error(
      'AuthorizationHeaderMalformed',
      'The credential date does not match X-Amz-Date.',
      400,
    );
  if (!signedHeaders.includes('host'))
    throw new SigV4Error('AuthorizationHeaderMalformed', 'The host header must be signed.', 400);
  const secret = secretOf(cred.accessKeyId);
  if (secret === undefined)
    throw new SigV4Error(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  const canonical = canonicalRequest(
    req,
    signedHeaders,
    payloadHash,
    presigned ? 'X-Amz-Signature' : undefined,
  );
  const stringToSign = [ALGORITHM, amzDate, cred.scope, sha256Hex(canonical)].join('\n');
  const key = signingKey(secret, cred.date, cred.region, cred.service);
  if (!compare(sign(key, stringToSign), signature))
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  return {
    accessKeyId: cred.accessKeyId,
    payloadHash,
    signature,
    amzDate,
    scope: cred.scope,
    signingKey: key,
  };
}

/** The string a chunk of a signed aws-chunked body is signed over (it chains from `previous`). */
export function chunkStringToSign(seed: SigV4Result, previous: string, chunkSha256: string): string {
  return ['AWS4-HMAC-SHA256-PAYLOAD', seed.amzDate, seed.scope, previous, EMPTY_SHA256, chunkSha256].join(
    '\n',
  );
}

/** The string the trailing headers of a signed aws-chunked body are signed over. */
export function trailerStringToSign(seed: SigV4Result, previous: string, trailerSha256: string): string {
  return ['AWS4-HMAC-SHA256-TRAILER', seed.amzDate, seed.scope, previous, trailerSha256].join('\n');
}
