import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Inbox } from './realtime.ts';
import { SELF_SIGNED } from './smtp.ts';

/** One POST the receiver got. */
export interface ReceivedHook {
  headers: Record<string, string>;
  body: string;
  json: any;
  /** `at()` when it came (the test's clock). */
  at: number;
}

/** A real HTTP endpoint that records what webhooks send it and answers `status()`. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  inbox: Inbox<ReceivedHook>;
  /** The status the next answers carry (default 200). */
  status: number;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (`tls`: with a self-signed certificate no CA vouches for). */
export async function startWebhookReceiver(
  opts: { at?: () => number; tls?: boolean } = {},
): Promise<WebhookReceiver> {
  const at = opts.at ?? Date.now;
  const inbox = new Inbox<ReceivedHook>();
  const received: ReceivedHook[] = [];
  const receiver = { status: 200 } as WebhookReceiver;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const hook: ReceivedHook = {
        headers: req.headers as Record<string, string>,
        body,
        json: JSON.parse(body),
        at: at(),
      };
      received.push(hook);
      res.writeHead(receiver.status, { 'content-type': 'text/plain' });
      res.end(`answer ${receiver.status}`);
      inbox.push(hook);
    });
  };
  const server: Server = opts.tls
    ? createHttpsServer({ key: SELF_SIGNED.key, cert: SELF_SIGNED.cert }, handle)
    : createHttpServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/hook`,
    received,
    inbox,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  });
}

/**
 * Verifies a Standard Webhooks signature the way a receiver would, written from the spec
 * and not from the server's code: HMAC-SHA256 over `id.timestamp.body` with the base64
 * key after `whsec_`, compared in constant time with each `v1,` entry of the header.
 */
export function verifyStandardSignature(secret: string, hook: ReceivedHook): boolean {
  const id = hook.headers['webhook-id'];
  const timestamp = hook.headers['webhook-timestamp'];
  const header = hook.headers['webhook-signature'];
  if (!id || !timestamp || !header || !/^\d+$/.test(timestamp)) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${hook.body}`).digest();
  return header.split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
