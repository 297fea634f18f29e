/** One field's validation failure, as PocketBase sends it in `data`. */
export interface FieldError {
  code: string;
  message: string;
  params?: Record<string, unknown>;
  /** For a failed batch request: the error it would have answered on its own. */
  response?: { status: number; message: string; data: ErrorData };
}

/** Nested per-field errors: a field maps to its error or to the errors of its parts. */
export type ErrorData = { [key: string]: FieldError | ErrorData };

/** The default `ApiError.code` of a status (the names of errors/codes.ts ErrorCode). */
const STATUS_CODES: Record<number, string> = {
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
};

/**
 * The one error family of the server. Services throw it; `http/error-handler.ts` turns it
 * into `{status, message, data}`. `cause` stays on the server, for logs only.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly data: ErrorData;
  /** The stable code (`errors/codes.ts` ErrorCode) code matches on; never sent to the client. */
  readonly code: string;

  constructor(
    status: number,
    message: string,
    data: ErrorData = {},
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options);
    this.name = 'ApiError';
    this.status = status;
    this.data = data;
    this.code = options?.code ?? STATUS_CODES[status] ?? 'error';
  }

  toJSON(): { status: number; message: string; data: ErrorData } {
    return { status: this.status, message: this.message, data: this.data };
  }
}

// matches PocketBase's default messages (tools/router/error.go)
export class BadRequestError extends ApiError {
  constructor(
    message = 'Something went wrong while processing your request.',
    data: ErrorData = {},
    options?: { cause?: unknown; code?: string },
  ) {
    super(400, message, data, options);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Missing or invalid authentication.', data: ErrorData = {}) {
    super(401, message, data);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'You are not allowed to perform this request.', data: ErrorData = {}) {
    super(403, message, data);
  }
}

export class NotFoundError extends ApiError {
  constructor(message = "The requested resource wasn't found.", data: ErrorData = {}) {
    super(404, message, data);
  }
}

export class TooManyRequestsError extends ApiError {
  constructor(message = 'Too Many Requests.', data: ErrorData = {}) {
    super(429, message, data);
  }
}

/** A validation failure of several fields at once: 400 with per-field `data`. */
export class ValidationError extends BadRequestError {
  constructor(message: string, data: ErrorData) {
    super(message, data);
  }
}
