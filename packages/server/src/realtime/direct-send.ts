import type { ChangeBus, StopListening } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { randomString } from '../tools/id.ts';

/** The bus channel of messages for one client on whichever node holds it. */
const DIRECT_CHANNEL = 'realtime_direct';
/** The channel on which the node that delivered one says so. */
const ACK_CHANNEL = 'realtime_direct_ack';
/** How long the sender waits for another node to say it delivered. */
const ACK_TIMEOUT_MS = 2000;
/** NOTIFY's payload limit is 8000 bytes: larger messages are not sent across nodes. */
const MAX_PAYLOAD = 7900;

interface DirectMessage {
  rid: string;
  from: string;
  id: string;
  topic: string;
  data: unknown;
  ip: string;
}

/**
 * One message for one realtime client on any node (the OAuth2 redirect's `@oauth2`
 * message: the browser's redirect may reach another node than its realtime connection).
 * `local` delivers on this node and says whether it did; across nodes the message goes on
 * the bus and the node holding the client acknowledges it. Without other nodes (SQLite)
 * only the local delivery is tried.
 */
export function createDirectSend(deps: {
  bus: ChangeBus;
  logger: Logger;
  local(id: string, topic: string, data: unknown, ip: string): boolean;
  ackTimeoutMs?: number;
}) {
  const { bus, logger, local } = deps;
  const self = randomString(12);
  const waiting = new Map<string, (ok: boolean) => void>();
  let stops: StopListening[] = [];

  function onDirect(payload: string): void {
    let m: DirectMessage;
    try {
      m = JSON.parse(payload) as DirectMessage;
    } catch {
      return;
    }
    if (m.from === self || !local(m.id, m.topic, m.data, m.ip)) return;
    bus
      .notify(ACK_CHANNEL, JSON.stringify({ rid: m.rid, to: m.from }))
      .catch((err: unknown) => logger.warn({ err }, 'acknowledging a realtime message failed'));
  }

  function onAck(payload: string): void {
    try {
      const { rid, to } = JSON.parse(payload) as { rid: string; to: string };
      if (to === self) waiting.get(rid)?.(true);
    } catch {
      // not ours
    }
  }

  return {
    /** Delivers to the client here or on another node; true once some node did. */
    async send(id: string, topic: string, data: unknown, ip: string): Promise<boolean> {
      if (local(id, topic, data, ip)) return true;
      if (!bus.shared || stops.length === 0) return false;
      const rid = randomString(16);
      const payload = JSON.stringify({ rid, from: self, id, topic, data, ip } satisfies DirectMessage);
      if (Buffer.byteLength(payload) > MAX_PAYLOAD) return false;
      let timer: NodeJS.Timeout | undefined;
      const acked = new Promise<boolean>((resolve) => {
        waiting.set(rid, resolve);
        timer = setTimeout(() => resolve(false), deps.ackTimeoutMs ?? ACK_TIMEOUT_MS);
      });
      try {
        await bus.notify(DIRECT_CHANNEL, payload);
        return await acked;
      } finally {
        clearTimeout(timer);
        waiting.delete(rid);
      }
    },

    /** Listens for messages of other nodes (nothing to do without any). */
    async start(): Promise<void> {
      if (!bus.shared) return;
      stops = [await bus.listen(DIRECT_CHANNEL, onDirect), await bus.listen(ACK_CHANNEL, onAck)];
    },

    async stop(): Promise<void> {
      const current = stops;
      stops = [];
      for (const resolve of waiting.values()) resolve(false);
      await Promise.all(current.map((stop) => stop()));
    },
  };
}

export type DirectSend = ReturnType<typeof createDirectSend>;
