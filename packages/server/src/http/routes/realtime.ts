import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../../errors/api-error.ts';
import { fieldError } from '../../errors/codes.ts';
import type { ClientSink, Delivery } from '../../realtime/client.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { requireSuperuser, viewerOf } from '../viewer.ts';

/** One SSE message (PocketBase writes the client id as every message's `id`). */
function sseFrame(id: string, name: string, data: unknown): string {
  return `id:${id}\nevent:${name}\ndata:${JSON.stringify(data)}\n\n`;
}

/**
 * PocketBase's realtime API: `GET /api/realtime` opens a Server-Sent Events stream that
 * starts with `PB_CONNECT {clientId}`; `POST /api/realtime {clientId, subscriptions}`
 * replaces that client's subscriptions and binds the request's auth to it.
 */
export function realtimeRoutes(app: FastifyInstance, { realtime, auth }: HttpDeps): void {
  app.get('/api/realtime', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      // proxies such as nginx must not buffer the stream
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
      // the stream owns its connection: when it ends, the socket goes too (no idle keep-alive)
      connection: 'close',
    });
    let id = '';
    const sink: ClientSink = {
      write: (frame) => res.write(frame),
      onDrain: (fn) => res.once('drain', fn),
      heartbeat: () => {
        if (!res.writableNeedDrain) res.write(': ping\n\n');
      },
      // a peer that stopped reading never takes the rest: drop it instead of flushing
      close: () => (res.writableLength > 0 ? res.destroy() : res.end()),
      format: (d: Delivery) =>
        `id:${id}\nevent:${d.topic.key}\ndata:{"action":${JSON.stringify(d.action)},"record":${d.recordJson}}\n\n`,
    };
    const client = realtime.connect('sse', sink);
    id = client.id;
    res.write(sseFrame(id, 'PB_CONNECT', { clientId: id }));
    res.on('close', () => realtime.disconnect(client, 'closed by peer'));
  });

  // ForgeBase's own: the hub's counters (clients, subscriptions, events delivered/dropped)
  app.get('/api/realtime/metrics', async (req) => {
    await requireSuperuser(req, auth);
    return realtime.metrics();
  });

  app.post('/api/realtime', async (req, reply) => {
    const body = await readBody(req);
    const { clientId, subscriptions = [] } = body;
    if (typeof clientId !== 'string' || clientId === '' || clientId.length > 255) {
      throw new BadRequestError('An error occurred while validating the submitted data.', {
        clientId: fieldError('validation_required', 'Cannot be blank.'),
      });
    }
    if (!Array.isArray(subscriptions) || subscriptions.some((s) => typeof s !== 'string')) {
      throw new BadRequestError('An error occurred while validating the submitted data.', {
        subscriptions: fieldError('validation_invalid_value', 'Must be a list of topics.'),
      });
    }
    const client = realtime.client(clientId);
    realtime.bindAuth(client, await viewerOf(req, auth));
    await realtime.setSubscriptions(client, subscriptions as string[]);
    reply.status(204).send();
  });
}
