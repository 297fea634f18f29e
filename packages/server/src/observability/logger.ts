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
