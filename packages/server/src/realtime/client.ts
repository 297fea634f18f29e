import type { Viewer } from '../rules/viewer.ts';
import type { Topic } from './topic.ts';

/** One event as a client receives it, before its transport frames it. */
export interface Delivery {
  /** The subscription the event matched (its key names SSE events). */
  topic: Topic;
  seq: number;
  action: 'create' | 'update' | 'delete';
  /** The record serialized for this client's viewer. */
  record: Record<string, unknown>;
  /** `record` as JSON, made once per group of subscribers. */
  recordJson: string;
}

/** Where a client's frames go: an SSE response or a WebSocket. */
export interface ClientSink {
  /** Writes a frame; false when the peer is not keeping up (the frame is buffered anyway). */
  write(frame: string): boolean;
  /** Calls `fn` once after the buffered frames have drained. */
  onDrain(fn: () => void): void;
  /** A keep-alive (an SSE comment, a WebSocket ping). */
  heartbeat(): void;
  /** Ends the connection; `reason` is for the peer when the transport can carry it. */
  close(reason: string): void;
  /** Turns a delivery into this transport's frame. */
  format(d: Delivery): string;
  /** A named message that is not a record change (e.g. PocketBase's `@oauth2`), as a frame. */
  message(name: string, data: unknown): string;
}

/** A connected realtime client and its subscriptions, as the hub keeps it. */
export interface RealtimeClient {
  readonly id: string;
  readonly transport: 'sse' | 'ws';
  /** Who the client acts as; anonymous until a token is bound. */
  viewer: Viewer;
  /** Subscriptions by topic key. */
  subscriptions: Map<string, Topic>;
  /** Live queries the client has open (docs/live-queries.md): a client with some is not idle. */
  liveQueries: number;
  /** When the client last changed its subscriptions (idle timeout). */
  lastActive: number;
  closed: boolean;
  sink: ClientSink;
  /** Frames waiting for the socket to drain. */
  queue: string[];
  /** Set while the socket has more buffered than it wants. */
  blockedSince: number | undefined;
  /** While a resume replays old events, live ones wait here (with their seq). */
  held: string[] | undefined;
  /** The address the client connected from ('' when unknown), like PocketBase keeps it. */
  ip: string;
}

/** A fresh client record for the hub. */
export function newClient(
  id: string,
  transport: 'sse' | 'ws',
  sink: ClientSink,
  viewer: Viewer,
  ip = '',
): RealtimeClient {
  return {
    ip,
    id,
    transport,
    viewer,
    subscriptions: new Map(),
    liveQueries: 0,
    lastActive: Date.now(),
    closed: false,
    sink,
    queue: [],
    blockedSince: undefined,
    held: undefined,
  };
}

/** True when two viewers are the same signed-in record (or both anonymous). */
export function sameAuth(a: Viewer, b: Viewer): boolean {
  return (a.authId ?? '') === (b.authId ?? '') && (a.authCollectionId ?? '') === (b.authCollectionId ?? '');
}

function flush(client: RealtimeClient): void {
  client.blockedSince = undefined;
  while (client.queue.length && !client.closed) {
    if (!client.sink.write(client.queue.shift()!)) {
      client.blockedSince = Date.now();
      client.sink.onDrain(() => flush(client));
      return;
    }
  }
}

/**
 * Writes a frame to the client's socket while it keeps up; while its buffer is full, frames
 * wait in a bounded queue that drains when the socket does. `overflow`: the queue is full
 * and the caller should cut the client off.
 */
export function enqueueFrame(
  client: RealtimeClient,
  frame: string,
  queueSize: number,
): 'sent' | 'overflow' | 'closed' {
  if (client.closed) return 'closed';
  if (client.blockedSince === undefined) {
    if (!client.sink.write(frame)) {
      client.blockedSince = Date.now();
      client.sink.onDrain(() => flush(client));
    }
    return 'sent';
  }
  if (client.queue.length >= queueSize) return 'overflow';
  client.queue.push(frame);
  return 'sent';
}
