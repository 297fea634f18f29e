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

/**
 * The process logger: JSON lines on stdout (pino). Secrets are redacted by path wherever
 * they could appear in a logged object.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          '*.password',
          '*.passwordConfirm',
          '*.token',
          // secrets at rest, should an object carrying one (a config, a provider) be logged
          ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
        ],
        censor: '[redacted]',
      },
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
