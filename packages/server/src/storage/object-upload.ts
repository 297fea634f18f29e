import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { ApiError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import { SNIFF_BYTES, sniffContentType } from './sniff.ts';

const TEXTUAL = /^(text\/|application\/(json|xml|javascript)|image\/svg\+xml)/;

/** A 413 for an object over its bucket's size limit. */
export class ObjectTooLargeError extends ApiError {
  constructor(max: number) {
    super(413, `The object exceeded the maximum allowed size of ${max} bytes.`, {
      size: fieldError(FieldCode.fileSizeLimit, `Must be at most ${max} bytes.`, { max }),
    });
  }
}

/**
 * A pass-through for an upload that counts its bytes (failing past `max`), hashes them
 * (MD5, for the S3-style ETag) and keeps the first bytes for content sniffing.
 */
export class UploadMeter extends Transform {
  size = 0;
  readonly #max: number;
  readonly #md5 = createHash('md5');
  #head: Buffer[] = [];
  #headLength = 0;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.#max) {
      done(new ObjectTooLargeError(this.#max));
      return;
    }
    this.#md5.update(chunk);
    if (this.#headLength < SNIFF_BYTES) {
      this.#head.push(chunk);
      this.#headLength += chunk.length;
    }
    done(null, chunk);
  }

  /** The quoted MD5 of everything that passed (call once, after the end). */
  etag(): string {
    return `"${this.#md5.digest('hex')}"`;
  }

  get head(): Buffer {
    return Buffer.concat(this.#head).subarray(0, SNIFF_BYTES);
  }
}

/** Pipes `source` through a meter, forwarding the source's errors. */
export function meter(source: Readable, max: number): UploadMeter {
  const m = new UploadMeter(max);
  source.on('error', (e) => m.destroy(e));
  // the consumer attaches later (after an await); until then an early error (too large)
  // stays on the stream (`errored`), where the consumer's pipeline finds it
  m.on('error', () => {});
  source.pipe(m);
  return m;
}

/**
 * An object's content type: the sniffed one (so text sent as `image/png` is not an image,
 * and unknown bytes are `application/octet-stream`); for text, the declared type when it
 * is a text type too (`text/html`, `application/json`).
 */
export async function effectiveType(
  head: Buffer,
  name: string,
  declared: string | undefined,
): Promise<string> {
  const sniffed = await sniffContentType(head, name);
  const given = declared?.split(';')[0]?.trim().toLowerCase();
  return TEXTUAL.test(sniffed) && given && TEXTUAL.test(given) ? given : sniffed;
}
