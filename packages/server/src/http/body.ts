import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.ts';
import { errors, FieldCode, fieldError } from '../errors/codes.ts';
import { type UploadReceiver, UploadStoreError } from '../storage/upload-receiver.ts';
import { markFormBody } from './validation.ts';

/**
 * Registers the body formats the records API accepts: JSON (Fastify's own), multipart
 * form data and urlencoded forms.
 */
export async function registerBodyParsers(app: FastifyInstance, bodyLimit: number): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: bodyLimit, fieldSize: bodyLimit, fields: 1000, parts: 1100 },
  });
  // matches PocketBase (BindBody skips an empty body): the JS SDK sends
  // `Content-Type: application/json` with no body on DELETE, which must not be a 400
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') done(null, undefined);
    else json(req, body as string, done);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(body as string)) appendValue(out, k, v);
    done(null, markFormBody(out));
  });
}

const toList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function appendValue(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key in out) {
    const cur = out[key];
    out[key] = Array.isArray(cur) ? [...cur, value] : [cur, value];
  } else out[key] = value;
}

/** The 413 of a multipart body over the route's body limit. */
function bodyTooLarge(limit: number): ApiError {
  return errors.payloadTooLarge(`The request body exceeded the limit of ${limit} bytes.`);
}

/**
 * Counts a file part's bytes against what is left of the request's budget and fails the
 * stream with a 413 past it, so an upload stops at the body limit, not at its end.
 */
function counted(stream: Readable, budget: { left: number; limit: number }): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        budget.left -= chunk.length;
        if (budget.left < 0) throw bodyTooLarge(budget.limit);
        yield chunk;
      }
    })(),
  );
}

/**
 * The request body as a plain object, whatever its format. Multipart text fields are
 * merged with a `@jsonPayload` part (how the PocketBase SDK sends non-file values).
 * File parts are streamed to `files` (their values become UploadedFile) and refused
 * where no receiver is given. The route's body limit holds for the whole multipart
 * stream (a declared Content-Length over it is refused before any byte is read).
 */
export async function readBody(
  req: FastifyRequest,
  files?: UploadReceiver,
): Promise<Record<string, unknown>> {
  if (req.isMultipart()) {
    const limit = req.routeOptions.bodyLimit;
    if (Number(req.headers['content-length'] ?? 0) > limit) throw bodyTooLarge(limit);
    const budget = { left: limit, limit };
    const out: Record<string, unknown> = {};
    try {
      for await (const part of req.parts()) {
        if (part.type === 'file' && files) {
          const file = await files.receive(part.fieldname, part.filename, counted(part.file, budget));
          if (file) appendValue(out, part.fieldname, file);
          continue;
        }
        if (part.type === 'file') {
          part.file.resume();
          throw errors.badRequest('File uploads are not supported yet.', {
            [part.fieldname]: fieldError(FieldCode.fileUnsupported, 'File uploads are not supported yet.'),
          });
        }
        budget.left -= Buffer.byteLength(String(part.value));
        if (budget.left < 0) throw bodyTooLarge(limit);
        if (part.fieldname === '@jsonPayload') {
          const parsed = parseJsonObject(String(part.value));
          // uploads already under a key join the names sent for it (PocketBase merges them)
          for (const [k, v] of Object.entries(parsed))
            out[k] = k in out ? [...toList(v), ...toList(out[k])] : v;
        } else appendValue(out, part.fieldname, part.value);
      }
    } catch (e) {
      if (e instanceof ApiError || e instanceof UploadStoreError) throw e;
      throw errors.badRequest('Failed to read the submitted data.', {}, e);
    }
    return out;
  }
  const body = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw errors.badRequest('Failed to read the submitted data.');
  return body as Record<string, unknown>;
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // reported below
  }
  throw errors.badRequest('Failed to read the submitted data.');
}

/**
 * Runs a request that may receive uploads: when anything fails (reading the body,
 * validation, the write transaction), every blob it received is deleted.
 */
export async function withUploads<T>(files: UploadReceiver, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    await files.discard();
    throw e;
  }
}
