import type { WebSocket, WebSocketServer } from 'ws';
import { ApiError } from '../../errors/api-error.ts';
import { errors } from '../../errors/codes.ts';
import type { ClientSink, Delivery, RealtimeClient } from '../../realtime/client.ts';
import { parseLiveSpec } from '../../realtime/live/live-spec.ts';
import type { HttpDeps } from '../deps.ts';
import { NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';

const PATH = '/api/ws';
const MAX_FRAME = 64 * 1024;
/** Above this many buffered bytes a socket counts as not keeping up. */
const HIGH_WATER = 256 * 1024;
const DRAIN_POLL_MS = 20;

type Frame = {
  type?: unknown;
  id?: unknown;
  token?: unknown;
  topic?: unknown;
  filter?: unknown;
  since?: unknown;
  query?: unknown;
  function?: unknown;
  args?: unknown;
  live?: unknown;
};

/**
 * ForgeBase's WebSocket realtime (docs/realtime.md): JSON frames to sign in, subscribe
 * and unsubscribe (each acknowledged), events with their change-log seq, and `resume`
 * to replay what a reconnecting client missed.
 */
export function realtimeWsRoutes(app: RouteApp, { realtime, live, auth }: HttpDeps): void {
  // upgrades never reach routes (Node hands them to the `upgrade` listener below): this
  // route describes the endpoint and answers a plain GET
  app.get(
    PATH,
    {
      schema: {
        summary: 'The realtime WebSocket (ForgeBase)',
        description:
          'Upgrade to a WebSocket. JSON frames: `auth`, `subscribe` (with `filter`), `unsubscribe`, `resume` (from a seq), `live`/`unlive` (live queries), `ping`; the server answers `ack`/`error` per frame and sends `event`, `live.result`, `live.diff` and `live.error` frames. See docs/realtime.md and docs/live-queries.md.',
        tags: ['realtime'],
        forgebase: true,
        querystring: NoQuery,
        response: { 101: Type.Null({ description: 'Switching Protocols (WebSocket)' }) },
      },
    },
    async () => {
      throw errors.badRequest('Send a WebSocket upgrade request to this endpoint.');
    },
  );
  // `ws` loads on the first upgrade: most servers never see one, and start-up stays lean
  let wss: Promise<WebSocketServer> | undefined;
  const server = () => {
    wss ??= import('ws').then(
      ({ WebSocketServer }) => new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME }),
    );
    return wss;
  };
  app.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== PATH) return;
    server().then(
      (s) => s.handleUpgrade(req, socket, head, (ws) => serve(ws)),
      () => socket.destroy(),
    );
  });
  app.addHook('preClose', (done) => {
    if (!wss) return done();
    void wss.then((s) => {
      for (const ws of s.clients) ws.terminate();
      s.close(() => done());
    });
  });

  function sinkOf(ws: WebSocket): ClientSink {
    let alive = true;
    ws.on('pong', () => {
      alive = true;
    });
    return {
      write(frame) {
        ws.send(frame);
        return ws.bufferedAmount < HIGH_WATER;
      },
      onDrain(fn) {
        const poll = setInterval(() => {
          if (ws.readyState !== ws.OPEN || ws.bufferedAmount < HIGH_WATER / 2) {
            clearInterval(poll);
            if (ws.readyState === ws.OPEN) fn();
          }
        }, DRAIN_POLL_MS);
      },
      heartbeat() {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      },
      close(reason) {
        if (ws.bufferedAmount > 0) ws.terminate();
        else ws.close(reason === 'slow consumer' ? 1008 : 1000, reason);
      },
      format: (d: Delivery) =>
        `{"type":"event","topic":${JSON.stringify(d.topic.key)},"seq":${d.seq},"action":${JSON.stringify(d.action)},"record":${d.recordJson}}`,
      message: (name, data) => JSON.stringify({ type: 'message', topic: name, data }),
    };
  }

  async function handle(client: RealtimeClient, msg: Frame): Promise<Record<string, unknown> | undefined> {
    const id = msg.id;
    switch (msg.type) {
      case 'ping':
        return { type: 'pong', ...(id !== undefined ? { id } : {}) };
      case 'auth': {
        const viewer = await auth.viewerFromToken(typeof msg.token === 'string' ? msg.token : undefined);
        if (!viewer.authId) throw errors.unauthorized('The token is missing, invalid or expired.');
        realtime.bindAuth(client, viewer);
        await live.reviewClient(client);
        return { type: 'ack', id };
      }
      case 'live': {
        if (typeof id !== 'string' || !id || id.length > 100)
          throw errors.badRequest('A live frame needs an `id` (a string of at most 100 characters).');
        // the first result is the reply: live.open sends it on the client's stream
        await live.open(client, id, parseLiveSpec(msg));
        return undefined;
      }
      case 'unlive':
        if (typeof msg.live !== 'string') throw errors.badRequest('`live` must name an open live query.');
        live.close(client, msg.live);
        return { type: 'ack', id };
      case 'subscribe': {
        if (typeof msg.topic !== 'string') throw errors.badRequest('A topic is required.');
        if (msg.filter !== undefined && typeof msg.filter !== 'string')
          throw errors.badRequest('The filter must be a string.');
        realtime.checkTopic(client, msg.topic, msg.filter);
        await realtime.subscribe(client, msg.topic, msg.filter);
        return { type: 'ack', id };
      }
      case 'unsubscribe':
        if (typeof msg.topic !== 'string') throw errors.badRequest('A topic is required.');
        realtime.unsubscribe(client, msg.topic);
        return { type: 'ack', id };
      case 'resume': {
        if (typeof msg.since !== 'number' || !Number.isInteger(msg.since))
          throw errors.badRequest('`since` must be a change seq.');
        return { type: 'ack', id, seq: await realtime.resume(client, msg.since) };
      }
      default:
        throw errors.badRequest('Unknown frame type.');
    }
  }

  function serve(ws: WebSocket): void {
    const client = realtime.connect('ws', sinkOf(ws));
    ws.on('close', () => {
      realtime.disconnect(client, 'closed by peer');
      live.closeClient(client);
    });
    ws.on('error', () => {
      realtime.disconnect(client, 'socket error');
      live.closeClient(client);
    });
    // frames of one socket are handled in order
    let chain = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      chain = chain.then(async () => {
        let msg: Frame;
        try {
          msg = isBinary ? {} : (JSON.parse(data.toString()) as Frame);
          if (!msg || typeof msg !== 'object') msg = {};
        } catch {
          msg = {};
        }
        let reply: Record<string, unknown> | undefined;
        try {
          reply = await handle(client, msg);
        } catch (e) {
          const err = e instanceof ApiError ? e : undefined;
          if (!err) app.log.error({ err: e }, 'realtime websocket frame failed');
          reply = {
            type: 'error',
            id: msg.id,
            status: err?.status ?? 500,
            message: err?.message ?? 'Something went wrong while processing your request.',
          };
        }
        if (reply && ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      });
    });
  }
}
