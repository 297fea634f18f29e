import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { guardedLookup, literalHostProblem } from './address-guard.ts';

/** Most bytes of a receiver's answer kept with the delivery. */
export const RESPONSE_EXCERPT_BYTES = 1024;

/** What one POST to a receiver gave. */
export interface SendResult {
  /** The HTTP status, 0 when none came (refused, timed out, connection failed). */
  status: number;
  durationMs: number;
  /** The start of the answer's body (at most RESPONSE_EXCERPT_BYTES, as UTF-8). */
  response: string;
  /** Why the attempt failed before an answer came ('' otherwise). */
  error: string;
}

/** How the sender reaches receivers. */
export interface SenderOptions {
  /** Abort an attempt after this long (connect, send and answer). */
  timeoutMs: number;
  /** Reach private and loopback addresses too (config `webhooks_allow_private`; off by default). */
  allowPrivate: boolean;
}

/**
 * POSTs `body` to `url` once: no redirects followed (a 3xx is a failure, as the Standard
 * Webhooks spec advises), TLS certificates verified, private addresses refused unless
 * allowed, the whole attempt bounded by `timeoutMs`. Never throws: the result says what
 * happened.
 */
export async function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: SenderOptions,
): Promise<SendResult> {
  const started = performance.now();
  const done = (status: number, response: string, error: string): SendResult => ({
    status,
    durationMs: Math.round(performance.now() - started),
    response,
    error,
  });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return done(0, '', 'invalid URL');
  }
  if (!opts.allowPrivate) {
    const problem = literalHostProblem(target);
    if (problem) return done(0, '', `refused: ${problem} (config webhooks_allow_private)`);
  }
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    const req = request(target, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'ForgeBase-Webhooks',
      },
      ...(opts.allowPrivate ? {} : { lookup: guardedLookup }),
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    timer.unref();
    const finish = (r: SendResult) => {
      clearTimeout(timer);
      resolve(r);
    };
    req.on('error', (err) => finish(done(0, '', refusal(err))));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const end = () => {
        const text = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
        finish(done(res.statusCode ?? 0, text, ''));
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_EXCERPT_BYTES) chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_EXCERPT_BYTES) end();
      });
      res.on('end', end);
      res.on('error', end);
    });
    req.end(body);
  });
}

function refusal(err: Error): string {
  if (err.name === 'PrivateAddressError') return `refused: ${err.message} (config webhooks_allow_private)`;
  return err.message || String(err);
}
