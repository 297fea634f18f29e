import type { OutgoingHttpHeaders } from 'node:http';
import { errors, fields } from '../../errors/codes.ts';
import type { ClientSink, Delivery } from '../../realtime/client.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { mediaBody, NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { superuserOnly, viewerOf } from '../viewer.ts';

const INVALID = 'An error occurred while validating the submitted data.';

const SubscriptionsBody = Type.Object({
  clientId: Type.String({ minLength: 1, maxLength: 255, description: 'From the `PB_CONNECT` event.' }),
  subscriptions: Type.Optional(Type.Array(Type.String())),
});

const Metrics = Type.Object({
  clients: Type.Integer(),
  sseClients: Type.Integer(),
  wsClients: Type.Integer(),
  subscriptions: Type.Integer(),
  eventsDelivered: Type.Integer(),
  eventsDropped: Type.Integer(),
  slowDisconnects: Type.Integer({
    description: 'Clients cut off for not reading (queue overflow or stalled socket).',
  }),
  cursor: Type.Integer({ description: 'The last change-log seq the hub has read.' }),
});

const tags = ['realtime'];

/** One SSE message (PocketBase writes the client id as every message's `id`). */
function sseFrame(id: string, name: string, data: unknown): string {
  return `id:${id}\nevent:${name}\ndata:${JSON.stringify(data)}\n\n`;
}

/**
 * PocketBase's realtime API: `GET /api/realtime` opens a Server-Sent Events stream that
 * starts with `PB_CONNECT {clientId}`; `POST /api/realtime {clientId, subscriptions}`
 * replaces that client's subscriptions and binds the request's auth to it.
 */
export function realtimeRoutes(app: RouteApp, { realtime, auth }: HttpDeps): void {
  const stream = {
    summary: 'Open the change stream (Server-Sent Events)',
    description:
      'The first event, `PB_CONNECT`, carries `{clientId}`; then one event per delivered change, named by its topic, with `{action, record}`.',
    tags,
    querystring: NoQuery,
    response: { 200: mediaBody('text/event-stream') },
  };
  app.get('/api/realtime', { schema: stream }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      // what the hooks set so far (CORS for browsers on another origin)
      ...(reply.getHeaders() as OutgoingHttpHeaders),
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
      message: (name, data) => sseFrame(id, name, data),
    };
    const client = realtime.connect('sse', sink, undefined, req.clientIp);
    id = client.id;
    res.write(sseFrame(id, 'PB_CONNECT', { clientId: id }));
    res.on('close', () => realtime.disconnect(client, 'closed by peer'));
  });

  // ForgeBase's own: the hub's counters (clients, subscriptions, events delivered/dropped)
  app.get(
    '/api/realtime/metrics',
    {
      preValidation: superuserOnly(auth),
      schema: {
        summary: "The realtime hub's counters (superusers)",
        tags,
        forgebase: true,
        querystring: NoQuery,
        response: { 200: Metrics },
      },
    },
    async () => realtime.metrics(),
  );

  app.post(
    '/api/realtime',
    {
      schema: {
        summary: "Set a client's subscriptions",
        description:
          'Topics: `collection`, `collection/*`, `collection/<id>`, each optionally with `?options={"query":{...},"headers":{...}}`. The Authorization token binds the client to that auth.',
        tags,
        querystring: NoQuery,
        body: SubscriptionsBody,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      // the schema checks JSON bodies; a form body is checked here, with the same answers
      const { clientId, subscriptions = [] } = await readBody(req);
      if (typeof clientId !== 'string' || clientId === '' || clientId.length > 255)
        throw errors.invalid(INVALID, { clientId: fields.required() });
      if (!Array.isArray(subscriptions) || subscriptions.some((s) => typeof s !== 'string'))
        throw errors.invalid(INVALID, { subscriptions: fields.invalidValue('Must be a list of topics.') });
      const client = realtime.client(clientId);
      realtime.bindAuth(client, await viewerOf(req, auth));
      await realtime.setSubscriptions(client, subscriptions as string[]);
      return reply.status(204).send();
    },
  );
}
