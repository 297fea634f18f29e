/** One field's failure in `data`, as the server (and PocketBase) sends it. */
export interface FieldError {
  code: string;
  message: string;
  params?: Record<string, unknown>;
}

/** Per-field errors, nested for the parts of a field (or the requests of a batch). */
export type ErrorData = { [key: string]: FieldError | ErrorData | unknown };

/**
 * The stable codes of a whole error, from the server's catalog
 * (`packages/server/src/errors/codes.ts` ErrorCode). The server sends PocketBase's
 * `{status, message, data}` only, so the SDK derives the code from the status, exactly as the
 * server's `ApiError` defaults it; `network` and `aborted` are the SDK's own for requests
 * that got no answer.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'locked'
  | 'unavailable'
  | 'too_many_requests'
  | 'error'
  | 'network'
  | 'aborted';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  410: 'gone',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  423: 'locked',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** The catalog code of an HTTP status (`error` for one the catalog does not name). */
export const codeOfStatus = (status: number): ErrorCode => STATUS_CODES[status] ?? 'error';

/**
 * Every failed call rejects with this: the server's `{status, message, data}`, the stable
 * `code`, and `url`. `status` is 0 when no answer arrived (network failure, abort).
 *
 * @example
 * try { await fb.collection('todos').getOne(id) }
 * catch (e) { if (e instanceof ClientError && e.code === 'not_found') … ; e.fieldCode('title') }
 */
export class ClientError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly data: ErrorData;
  readonly url: string;
  /** The parsed answer as it came (e.g. `{mfaId}` of a 401 that asks for a second factor). */
  readonly response: Record<string, unknown>;

  constructor(
    status: number,
    message: string,
    opts: {
      data?: ErrorData;
      url?: string;
      response?: Record<string, unknown>;
      code?: ErrorCode;
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ClientError';
    this.status = status;
    this.code = opts.code ?? codeOfStatus(status);
    this.data = opts.data ?? {};
    this.url = opts.url ?? '';
    this.response = opts.response ?? {};
  }

  /** The code of one field's error (`validation_required`, …), or undefined. */
  fieldCode(field: string): string | undefined {
    const e = this.data[field] as FieldError | undefined;
    return typeof e?.code === 'string' ? e.code : undefined;
  }

  /** PocketBase's shape, for logging or re-sending. */
  toJSON(): { status: number; message: string; data: ErrorData } {
    return { status: this.status, message: this.message, data: this.data };
  }
}
