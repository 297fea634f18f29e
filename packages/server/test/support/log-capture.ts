import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';

/** A logger whose JSON lines land in `lines` (to assert on what is, and is not, logged). */
export function captureLogger() {
  const lines: Record<string, any>[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    }),
  );
  return { logger, lines };
}
