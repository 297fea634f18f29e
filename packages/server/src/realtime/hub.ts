import type { ChangeLog, ChangeRow, Following } from '../changes/change-log.ts';
import type { Database } from '../db/database.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors/api-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordService } from '../records/record-service.ts';
import { filterCondition } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import { randomString } from '../tools/id.ts';
import { type ClientSink, enqueueFrame, newClient, type RealtimeClient, sameAuth } from './client.ts';
import { createDirectSend } from './direct-send.ts';
import { createFilterVerdicts, deliveriesFor, topicMatches } from './dispatch.ts';
import { MAX_SUBSCRIPTIONS, parseTopic, parseTopics, type Topic } from './topic.ts';
import { TopicIndex } from './topic-index.ts';

/** Limits of the hub; the defaults suit a public server. */
export interface HubOptions {
  /** Frames one client may have waiting for a slow socket before it is cut off. */
  queueSize?: number;
  /** A client without subscriptions for this long is closed (PocketBase: 5 minutes). */
  idleTimeoutMs?: number;
  /** How often keep-alives go out and idle or stalled clients are swept. */
  heartbeatMs?: number;
  /** A client whose socket has not drained for this long is cut off. */
  stallTimeoutMs?: number;
  /** Most events a WebSocket resume may replay. */
  replayLimit?: number;
}

/** The services the hub is built from (wired in app.ts). */
export interface HubDeps {
  db: Database;
  /** The log the hub follows (non-durable, from the moment it starts). */
  changes: ChangeLog;
  collections: CollectionService;
  records: RecordService;
  logger: Logger;
  options?: HubOptions;
}

/** Counters of the hub, for monitoring and benchmarks. */
export interface HubMetrics {
  clients: number;
  sseClients: number;
  wsClients: number;
  subscriptions: number;
  eventsDelivered: number;
  eventsDropped: number;
  slowDisconnects: number;
  cursor: number;
}

const CLIENT_ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The realtime hub: follows the change log after commit, decides which subscriptions see
 * each change (rules at delivery time) and hands frames to the clients' transports, with a
 * bounded queue per client. Transports (SSE, WebSocket) live in http/routes.
 */
export function createRealtimeHub({ db, changes, collections, records, logger, options = {} }: HubDeps) {
  const queueSize = options.queueSize ?? 1000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000;
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  const stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  const replayLimit = options.replayLimit ?? 1000;
  const clients = new Map<string, RealtimeClient>();
  const index = new TopicIndex();
  /** Replaces a client's topics, keeping the index in step. */
  const setTopics = (client: RealtimeClient, topics: Map<string, Topic>) => {
    for (const t of client.subscriptions.values()) index.remove(client, t);
    client.subscriptions = topics;
    for (const t of topics.values()) index.add(client, t);
  };
  const counters = { delivered: 0, dropped: 0, slow: 0 };
  const deps = { db, collections, records, logger, filterVerdicts: createFilterVerdicts() };
  let following: Following | undefined;

  /**
   * Sends a named message once to the client `id` subscribed to `topic` (exactly that
   * key), then drops that subscription: PocketBase's `@oauth2` hand-over. False (nothing
   * sent) for an unknown or closed client, one without the subscription, or one that
   * connected from another address than `ip` (clients with no address are not checked).
   */
  function sendOnce(id: string, topic: string, data: unknown, ip: string): boolean {
    const client = clients.get(id);
    if (!client || client.closed || !client.subscriptions.has(topic)) return false;
    if (client.ip !== '' && client.ip !== ip) return false;
    const next = new Map(client.subscriptions);
    next.delete(topic);
    setTopics(client, next);
    send(client, client.sink.message(topic, data));
    return true;
  }
  const direct = createDirectSend({ bus: db.bus, logger, local: sendOnce });

  let timer: NodeJS.Timeout | undefined;

  function disconnect(client: RealtimeClient, reason: string): void {
    if (client.closed) return;
    client.closed = true;
    clients.delete(client.id);
    setTopics(client, new Map());
    client.queue = [];
    client.sink.close(reason);
    logger.debug({ clientId: client.id, reason }, 'realtime client closed');
  }

  /** Hands a frame to the client's socket, or queues it; cuts the client off on overflow. */
  function send(client: RealtimeClient, frame: string): void {
    const outcome = enqueueFrame(client, frame, queueSize);
    if (outcome === 'sent') counters.delivered++;
    else if (outcome === 'overflow') {
      counters.dropped += client.queue.length + 1;
      counters.slow++;
      logger.warn(
        { clientId: client.id, queued: client.queue.length },
        'realtime client too slow: queue overflow, disconnected',
      );
      disconnect(client, 'slow consumer');
    }
  }

  /** Closes the clients signed in as an auth record that was deleted or whose tokenKey changed. */
  async function checkAuthRecord(row: ChangeRow): Promise<void> {
    const bound = [...clients.values()].filter(
      (cl) => cl.viewer.authId === row.recordId && cl.viewer.authCollectionId === row.collectionId,
    );
    if (!bound.length) return;
    const c = collections.find(row.collectionId);
    const fresh = row.action === 'delete' || !c ? undefined : await records.findById(c, row.recordId);
    for (const cl of bound) {
      if (!fresh) disconnect(cl, 'auth record deleted');
      else if (fresh.tokenKey !== cl.viewer.auth?.record.tokenKey) disconnect(cl, 'auth token revoked');
      else if (cl.viewer.auth) cl.viewer = { ...cl.viewer, auth: { ...cl.viewer.auth, record: fresh } };
    }
  }

  /**
   * Delivers change rows to every matching subscription. Live, a subscription gets the
   * changes after its `fromSeq`; a resume (`only`) replays to one client those up to it, so
   * the two never overlap.
   */
  async function dispatch(rows: ChangeRow[], only?: RealtimeClient): Promise<void> {
    // a collection made on another node a moment ago may not have reached this node's
    // schema yet: read the schema once before its changes would be dropped
    if (rows.some((r) => !collections.find(r.collectionId)))
      await collections
        .reload()
        .catch((err: unknown) => logger.error({ err }, 'realtime: schema reload failed'));
    for (const row of rows) {
      const c = collections.find(row.collectionId);
      if (!c) continue;
      if (c.type === 'auth' && !only && row.action !== 'create') await checkAuthRecord(row);
      const matches: { client: RealtimeClient; topic: Topic }[] = [];
      for (const client of only ? [only] : index.candidates(c, row.recordId)) {
        for (const topic of client.subscriptions.values()) {
          if (only ? row.seq <= topic.fromSeq : row.seq > topic.fromSeq) {
            if (topicMatches(topic, c, row.recordId)) matches.push({ client, topic });
          }
        }
      }
      if (!matches.length) continue;
      for (const { client, delivery } of await deliveriesFor(deps, c, row, matches)) {
        const frame = client.sink.format(delivery);
        // live frames wait while a resume replays older ones, to keep seq order
        if (client.held && !only) client.held.push(frame);
        else send(client, frame);
      }
    }
  }

  /**
   * True when the client's auth collection is gone or its token secret changed since the
   * client signed in (every token of the collection is void then, as in PocketBase).
   */
  function authRevoked(client: RealtimeClient): boolean {
    const bound = client.viewer.auth?.collection;
    if (!bound) return false;
    const current = collections.find(bound.id);
    return current?.authToken?.secret !== bound.authToken?.secret;
  }

  // keep-alives go out in slices across the heartbeat period: 10k clients pinged at once
  // would hold the event loop (and every delivery) for a while
  const SLICES = 25;
  let tick = 0;
  function sweep(): void {
    const now = Date.now();
    const slice = tick++ % SLICES;
    for (const client of clients.values()) {
      if (client.id.charCodeAt(client.id.length - 1) % SLICES !== slice) continue;
      if (authRevoked(client)) disconnect(client, 'auth collection changed');
      else if (client.blockedSince !== undefined && now - client.blockedSince > stallTimeoutMs) {
        counters.slow++;
        logger.warn({ clientId: client.id }, 'realtime client stalled: socket not drained, disconnected');
        disconnect(client, 'slow consumer');
      } else if (
        client.subscriptions.size === 0 &&
        client.liveQueries === 0 &&
        now - client.lastActive > idleTimeoutMs
      ) {
        disconnect(client, 'idle');
      } else client.sink.heartbeat();
    }
  }

  return {
    /** Registers a connected client (anonymous until a token is bound). */
    connect(
      transport: 'sse' | 'ws',
      sink: ClientSink,
      viewer: Viewer = { superuser: false },
      ip = '',
    ): RealtimeClient {
      const client = newClient(randomString(40, CLIENT_ID_CHARS), transport, sink, viewer, ip);
      clients.set(client.id, client);
      return client;
    },

    disconnect,

    /** The client with this id, or a 404 (PocketBase: "Missing or invalid client id."). */
    client(id: string): RealtimeClient {
      const client = clients.get(id);
      if (!client) throw new NotFoundError('Missing or invalid client id.');
      return client;
    },

    /**
     * Binds a viewer to a client. A guest may sign in; any other change of auth is a 403,
     * like PocketBase's realtime subscribe.
     */
    bindAuth(client: RealtimeClient, viewer: Viewer): void {
      if (client.viewer.authId && !sameAuth(client.viewer, viewer))
        throw new ForbiddenError("The current and the previous request authorization don't match.");
      const { request: _request, ...bound } = viewer;
      client.viewer = bound;
    },

    /** Replaces all subscriptions of a client (PocketBase's POST /api/realtime). */
    async setSubscriptions(client: RealtimeClient, keys: string[]): Promise<void> {
      const topics = parseTopics(keys);
      const fromSeq = await changes.lastSeq();
      for (const [key, topic] of topics) topic.fromSeq = client.subscriptions.get(key)?.fromSeq ?? fromSeq;
      setTopics(client, topics);
      client.lastActive = Date.now();
    },

    /** Adds one subscription (WebSocket); `filter` joins the topic's own options. */
    async subscribe(client: RealtimeClient, key: string, filter?: string): Promise<void> {
      const topic = parseTopics([key]).get(key);
      if (!topic) throw new BadRequestError('Invalid subscription topic.');
      topic.fromSeq = await changes.lastSeq();
      if (filter !== undefined) topic.query = { ...topic.query, filter };
      if (!client.subscriptions.has(key) && client.subscriptions.size >= MAX_SUBSCRIPTIONS)
        throw new BadRequestError(`At most ${MAX_SUBSCRIPTIONS} subscriptions are allowed.`);
      const next = new Map(client.subscriptions);
      next.set(key, topic);
      setTopics(client, next);
      client.lastActive = Date.now();
    },

    /**
     * Checks what a WebSocket subscription names before it is accepted: the collection must
     * exist (404) and the filter must compile for the client's viewer (400/403).
     */
    checkTopic(client: RealtimeClient, key: string, filter?: string): void {
      const topic = parseTopic(key);
      const c = topic && collections.find(topic.collection);
      if (!c) throw new NotFoundError('Missing collection context.');
      const text = filter ?? topic.query.filter;
      if (text?.trim())
        filterCondition({ db, collection: (n) => collections.find(n) }, c, text, client.viewer);
    },

    sendOnce,

    /** Hands a frame of another kind (live queries) to a client, through its bounded queue. */
    push(client: RealtimeClient, frame: string): void {
      send(client, frame);
    },

    /**
     * `sendOnce` to a client held by this node or, with PostgreSQL, by another one (the
     * node holding it acknowledges on the bus); false when no node delivered it.
     */
    sendOnceAnywhere: direct.send,

    unsubscribe(client: RealtimeClient, key: string): void {
      const next = new Map(client.subscriptions);
      next.delete(key);
      setTopics(client, next);
      client.lastActive = Date.now();
    },

    /**
     * Replays what the client's subscriptions missed after `since` (up to where each went
     * live), then goes on live, without gap or repeat. Refused (the client must reload) when the log no longer reaches back
     * that far or more than the replay limit happened since.
     */
    async resume(client: RealtimeClient, since: number): Promise<number> {
      let upTo = 0;
      for (const t of client.subscriptions.values()) upTo = Math.max(upTo, t.fromSeq);
      // rows a durable consumer keeps past the retention are not replayed
      const first = await changes.firstReplayable();
      if (since < 0 || upTo - since > replayLimit || (since < first - 1 && first > 0))
        throw new BadRequestError('Too many changes were missed; reload the data and subscribe again.');
      client.held = [];
      try {
        let from = since;
        while (from < upTo) {
          const rows = (await changes.after(from, 500)).filter((r) => r.seq <= upTo);
          if (!rows.length) break;
          await dispatch(rows, client);
          from = rows[rows.length - 1]!.seq;
        }
      } finally {
        const held = client.held;
        client.held = undefined;
        for (const frame of held) send(client, frame);
      }
      return upTo;
    },

    /** Counters for monitoring. */
    metrics(): HubMetrics {
      let subscriptions = 0;
      let sse = 0;
      for (const c of clients.values()) {
        subscriptions += c.subscriptions.size;
        if (c.transport === 'sse') sse++;
      }
      return {
        clients: clients.size,
        sseClients: sse,
        wsClients: clients.size - sse,
        subscriptions,
        eventsDelivered: counters.delivered,
        eventsDropped: counters.dropped,
        slowDisconnects: counters.slow,
        cursor: following?.position ?? 0,
      };
    },

    /** Starts following the change log (after the newest change) and the keep-alive timer. */
    async start(): Promise<void> {
      following = changes.follow('realtime', (rows) => dispatch(rows), { from: 'now' });
      await following.ready;
      await direct.start();
      timer = setInterval(sweep, Math.max(1, Math.floor(heartbeatMs / SLICES)));
      timer.unref();
    },

    /** Closes every client and stops listening. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      for (const client of [...clients.values()]) disconnect(client, 'server stopping');
      await direct.stop();
      await following?.();
      following = undefined;
    },
  };
}

/** The realtime hub (see createRealtimeHub); routes reach it through HttpDeps. */
export type RealtimeHub = ReturnType<typeof createRealtimeHub>;
