import Type from 'typebox';
import type { Paths } from './operation.ts';

/** Realtime: PocketBase's SSE endpoints and ForgeBase's WebSocket. */
export const REALTIME_PATHS: Paths = {
  '/api/realtime': {
    get: {
      summary: 'Open the change stream (Server-Sent Events)',
      description:
        'The first event, `PB_CONNECT`, carries `{clientId}`; then one event per delivered change, named by its topic, with `{action, record}`.',
      tag: 'realtime',
      ok: { type: 'string' } as unknown as ReturnType<typeof Type.String>,
      okType: 'text/event-stream',
    },
    post: {
      summary: "Set a client's subscriptions",
      description:
        'Topics: `collection`, `collection/*`, `collection/<id>`, each optionally with `?options={"query":{...},"headers":{...}}`. The Authorization token binds the client to that auth.',
      tag: 'realtime',
      body: Type.Object({ clientId: Type.String(), subscriptions: Type.Array(Type.String()) }),
      ok: 204,
    },
  },
  '/api/realtime/metrics': {
    get: {
      summary: "The realtime hub's counters (superusers)",
      tag: 'realtime',
      fb: true,
      ok: Type.Object({
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
      }),
    },
  },
  '/api/ws': {
    get: {
      summary: 'The realtime WebSocket (ForgeBase)',
      description:
        'Upgrade to a WebSocket. JSON frames: `auth`, `subscribe` (with `filter`), `unsubscribe`, `resume` (from a seq), `ping`; the server answers `ack`/`error` per frame and sends `event` frames. See docs/realtime.md.',
      tag: 'realtime',
      fb: true,
      websocket: true,
      ok: { type: 'string' } as unknown as ReturnType<typeof Type.String>,
    },
  },
};
