import pino, { type Logger } from 'pino';

export type { Logger };

/** Property names that hold secrets kept at rest (docs/security.md "Secrets at rest"). */
const SECRET_KEYS = [
  'clientSecret',
  'privateKey',
  'secretAccessKey',
  'smtpPassword',
  's3Secret',
  'encryptionKey',
  'encryptionKeyPrevious',
  'metricsToken',
];

/** Keys whose values never reach a log, at any depth: credentials in requests and objects. */
const REDACTED = new Set(['authorization', 'password', 'passwordConfirm', 'token', ...SECRET_KEYS]);
const CENSOR = '[redacted]';
/** How deep a logged object is searched for secrets (configs and providers nest two levels). */
const MAX_DEPTH = 8;

/**
 * `value` with every secret-named key censored, copied only along the paths that hold one
 * (an object without secrets is returned as it is). Linear in the object's size; objects
 * deeper than MAX_DEPTH are left as they are.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (!value || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => redactSecrets(item, depth + 1));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const next =
      REDACTED.has(key) && item !== undefined && item !== null ? CENSOR : redactSecrets(item, depth + 1);
    if (next === item) continue;
    if (!copy) {
      copy = value instanceof Error ? Object.create(Object.getPrototypeOf(value)) : {};
      Object.assign(copy as object, value);
      // an Error's message and stack are its own but not enumerable
      if (value instanceof Error)
        Object.assign(copy as object, { message: value.message, stack: value.stack });
    }
    (copy as Record<string, unknown>)[key] = next;
  }
  return (copy ?? value) as T;
}

/**
 * The process logger: JSON lines on stdout (pino). Values under secret-named keys
 * (`authorization`, `password`, `token`, the secrets kept at rest) are censored at any
 * depth of a logged object (not in a child's bindings, which pino does not format: bind
 * only ids). Done by pino's `formatters`, not its `redact` paths: wildcard paths cost
 * about 40 µs per line, paid by every request line.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      formatters: { log: (object) => redactSecrets(object) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * A child of `parent` with `bindings` that pino makes only when something is logged at an
 * enabled level: Fastify asks for one per request (`req.log`, bound to the request id), and
 * making it runs the redaction over the bindings, though most requests log nothing.
 */
export function lazyChildLogger(
  parent: Logger,
  bindings: pino.Bindings,
  options?: pino.ChildLoggerOptions,
): Logger {
  let real: Logger | undefined;
  const child = () => {
    real ??= parent.child(bindings, options);
    return real;
  };
  const lazy: Record<string, unknown> = {
    child: (b: pino.Bindings, o?: pino.ChildLoggerOptions) => child().child(b, o),
    isLevelEnabled: (level: string) => (real ?? parent).isLevelEnabled(level),
    bindings: () => ({ ...parent.bindings(), ...bindings }),
    silent: () => {},
  };
  for (const level of LEVELS)
    lazy[level] = (...args: unknown[]) => {
      if (!(real ?? parent).isLevelEnabled(level)) return;
      (child()[level] as (...a: unknown[]) => void)(...args);
    };
  Object.defineProperty(lazy, 'level', {
    get: () => (real ?? parent).level,
    set: (level: string) => {
      child().level = level;
    },
  });
  return lazy as unknown as Logger;
}
