import { type Readable, Transform } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { ApiError, type ErrorData } from '../../errors/api-error.ts';
import { errors, fields } from '../../errors/codes.ts';
import type { FileService } from '../../files/file-service.ts';
import { parseFields, pickFields } from '../../records/pick-fields.ts';
import { BatchFailure, type BatchOperation, BatchTimeout } from '../../records/record-service.ts';
import type { Viewer } from '../../rules/viewer.ts';
import type { UploadReceiver } from '../../storage/upload-receiver.ts';
import { readBody, withUploads } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { requestViewer } from '../viewer.ts';

const RECORDS_URL = /^\/api\/collections\/([^/?#]+)\/records(?:\/([^/?#]+))?\/?(?:\?(.*))?$/;

/** A batch operation plus what its URL's query asks of the response (`expand`, `fields`). */
type Planned = BatchOperation & { expand?: string | undefined; fields?: string | undefined };

/** JSON, or multipart/form-data with `@jsonPayload` and `requests.N.field` file parts. */
const BatchBody = Type.Object({
  requests: Type.Optional(
    Type.Array(
      Type.Unknown({
        description:
          '`{method, url, body}`: POST or PUT …/records, PATCH or DELETE …/records/{id} (`?expand=`, `?fields=` shape its answer). Checked one by one: a bad one fails the batch with its index.',
      }),
    ),
  ),
});

const BatchResponse = Type.Array(Type.Object({ status: Type.Integer(), body: Type.Unknown() }), {
  description: 'One result per request, in order.',
});

function invalid(index: number, message: string) {
  return errors.badRequest('Batch transaction failed.', {
    requests: { [index]: { code: 'batch_request_invalid', message } },
  });
}

/**
 * Turns one `{method, url, body}` of a batch into a record operation (PocketBase's forms);
 * `?expand=` and `?fields=` in the URL shape that request's response, as on their own.
 */
function toOperation(raw: unknown, index: number): Planned {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid(index, 'Each request must be an object.');
  const r = raw as Record<string, unknown>;
  const method = String(r.method ?? '').toUpperCase();
  const m = RECORDS_URL.exec(String(r.url ?? ''));
  if (!m)
    throw invalid(index, 'Only the records create, upsert, update and delete endpoints can be batched.');
  const collection = decodeURIComponent(m[1]!);
  const id = m[2] ? decodeURIComponent(m[2]) : undefined;
  const query = new URLSearchParams(m[3] ?? '');
  const shape = { expand: query.get('expand') ?? undefined, fields: query.get('fields') ?? undefined };
  const body =
    r.body && typeof r.body === 'object' && !Array.isArray(r.body) ? (r.body as Record<string, unknown>) : {};
  if (r.body !== undefined && r.body !== null && body !== r.body)
    throw invalid(index, 'The request body must be an object.');
  if (!id && method === 'POST') return { action: 'create', collection, body, ...shape };
  if (!id && method === 'PUT') return { action: 'upsert', collection, body, ...shape };
  if (id && method === 'PATCH') return { action: 'update', collection, id, body, ...shape };
  if (id && method === 'DELETE') return { action: 'delete', collection, id };
  throw invalid(index, `${method || 'A missing method'} is not supported for ${String(r.url)}.`);
}

/**
 * Files come as `requests.N.field` parts (PocketBase's batch form); each list replaces
 * that key of request N's body, as PocketBase does.
 */
function attachFiles(body: Record<string, unknown>, files: FileService): void {
  const list = body.requests;
  for (const [key, value] of Object.entries(body)) {
    const target = files.batchFileKey(key);
    if (!target) continue;
    delete body[key];
    const r = Array.isArray(list) ? list[target.index] : undefined;
    if (!r || typeof r !== 'object') continue;
    const req = r as Record<string, unknown>;
    const sub = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
    req.body = {
      ...(sub as Record<string, unknown>),
      [target.field]: Array.isArray(value) ? value : [value],
    };
  }
}

/** The JSON a failed sub-request would have answered on its own. */
function errorResponse(e: unknown): { status: number; message: string; data: ErrorData } {
  if (e instanceof ApiError) return { status: e.status, message: e.message, data: e.data };
  return { status: 500, message: 'Something went wrong while processing your request.', data: {} };
}

/**
 * `POST /api/batch` (PocketBase's): record creates, upserts, updates and deletes in one
 * transaction. Any failure rolls back all and names the request that failed.
 */
export function batchRoutes(app: RouteApp, deps: HttpDeps): void {
  app.post(
    '/api/batch',
    {
      onRequest: async () => {
        // matches PocketBase: settings batch.enabled off (or no requests allowed) is a 403
        if (!deps.config.batchEnabled || deps.config.batchMaxRequests <= 0)
          throw errors.forbidden('Batch requests are not allowed.');
      },
      preParsing: async (req, _reply, payload) => limitBody(req, payload, batchBodyLimit(deps.config)),
      schema: {
        summary: 'Run record writes in one transaction',
        description:
          'Each request is checked by its rules; any failure rolls back all and names the failed request.',
        tags: ['records'],
        querystring: NoQuery,
        body: BatchBody,
        response: { 200: BatchResponse },
      },
    },
    async (req) => {
      const uploads = deps.files.batchReceiver(batchBodyLimit(deps.config));
      return withUploads(uploads, () => runBatch(req, deps, uploads));
    },
  );
}

/** Settings `batch.maxBodySize`, or the server's body limit when 0 (or larger). */
function batchBodyLimit(config: HttpDeps['config']): number {
  const max = config.batchMaxBodySize;
  return max > 0 ? Math.min(max, config.bodyLimit) : config.bodyLimit;
}

const tooLarge = () => errors.payloadTooLarge('Request entity too large');

/**
 * PocketBase's batch body limit: a 413 by Content-Length, or once more bytes arrive. A
 * multipart body is read from the socket by its upload receiver, which has the same limit
 * (wrapping its stream here would leave an unread copy that stalls the upload).
 */
function limitBody(req: FastifyRequest, payload: Readable, limit: number): Readable {
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  if (String(req.headers['content-type'] ?? '').startsWith('multipart/')) return payload;
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > limit ? tooLarge() : null, chunk);
    },
  });
  payload.on('error', (e) => counted.destroy(e));
  return payload.pipe(counted);
}

async function runBatch(req: FastifyRequest, deps: HttpDeps, uploads: UploadReceiver) {
  const { config, records, auth } = deps;
  const body = await readBody(req, uploads);
  attachFiles(body, deps.files);
  const list = body.requests;
  if (!Array.isArray(list) || list.length === 0) {
    throw errors.invalid('An error occurred while validating the submitted data.', {
      requests: fields.required(),
    });
  }
  if (list.length > config.batchMaxRequests) {
    throw errors.invalid('An error occurred while validating the submitted data.', {
      requests: fields.tooLong(config.batchMaxRequests, { max: config.batchMaxRequests }),
    });
  }
  const ops = list.map(toOperation);
  // settings batch.timeout: from when the body (uploads included) is in
  const deadline = Date.now() + config.batchTimeoutSeconds * 1000;
  const viewers: Viewer[] = [];
  // an API key's scope is checked by the record service, per operation
  for (const op of ops) viewers.push(await requestViewer(req, auth, 'body' in op ? op.body : {}));
  try {
    const results = await records.batch(ops, (i) => viewers[i]!, deadline);
    return await Promise.all(
      results.map(async (r, i) => {
        if (r === undefined) return { status: 204, body: null };
        const op = ops[i]!;
        await records.expand(op.collection, [r], op.expand, viewers[i]!);
        const tree = parseFields(op.fields);
        return { status: 200, body: tree ? pickFields(r, tree) : r };
      }),
    );
  } catch (e) {
    // matches PocketBase: a timed-out batch is rolled back and answered as a failed one
    if (e instanceof BatchTimeout) throw errors.badRequest('Batch transaction failed.');
    if (!(e instanceof BatchFailure)) throw e;
    const response = errorResponse(e.cause);
    if (response.status >= 500) throw e.cause;
    throw errors.badRequest('Batch transaction failed.', {
      requests: {
        [e.index]: { code: 'batch_request_failed', message: 'Batch request failed.', response },
      },
    });
  }
}
