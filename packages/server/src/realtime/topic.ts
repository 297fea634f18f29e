import { BadRequestError } from '../errors/api-error.ts';

/** Most topics one client may subscribe to, and the longest topic (PocketBase's limits). */
export const MAX_SUBSCRIPTIONS = 1000;
const MAX_TOPIC_LENGTH = 2500;

/** What a subscription asks for, parsed from its topic string. */
export interface Topic {
  /** The topic string exactly as subscribed: events are named by it (PocketBase). */
  key: string;
  /** A collection id or name. */
  collection: string;
  /** A record id, or undefined for the whole collection (`posts` or `posts/*`). */
  recordId: string | undefined;
  /** PocketBase's per-topic request options: `?options={"query":{...},"headers":{...}}`. */
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Changes up to this seq were committed before the subscription: not delivered live. */
  fromSeq: number;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/**
 * Parses `collection`, `collection/*` or `collection/recordId`, with optional
 * `?options=<url-encoded JSON>` like the PocketBase SDK sends. Unparsable options are
 * ignored, as PocketBase does. Undefined for a topic that names no collection.
 */
export function parseTopic(key: string): Topic | undefined {
  const q = key.indexOf('?');
  const path = q < 0 ? key : key.slice(0, q);
  let query: Record<string, string> = {};
  let headers: Record<string, string> = {};
  if (q >= 0) {
    const raw = new URLSearchParams(key.slice(q + 1)).get('options');
    if (raw) {
      try {
        const parsed = JSON.parse(raw) as { query?: unknown; headers?: unknown };
        query = stringMap(parsed?.query);
        headers = stringMap(parsed?.headers);
      } catch {
        // like PocketBase: bad options mean no options
      }
    }
  }
  const slash = path.indexOf('/');
  const collection = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  if (!collection) return undefined;
  return {
    key,
    collection,
    recordId: rest === '' || rest === '*' ? undefined : rest,
    query,
    headers,
    fromSeq: 0,
  };
}

/** Parses a client's topic list; topics that name no collection are skipped, bad ones are a 400. */
export function parseTopics(keys: string[]): Map<string, Topic> {
  if (keys.length > MAX_SUBSCRIPTIONS)
    throw new BadRequestError(`At most ${MAX_SUBSCRIPTIONS} subscriptions are allowed.`);
  const out = new Map<string, Topic>();
  for (const key of keys) {
    // a line break would end an SSE field early
    if (typeof key !== 'string' || key.length > MAX_TOPIC_LENGTH || /[\r\n]/.test(key))
      throw new BadRequestError('Invalid subscription topic.');
    const t = parseTopic(key);
    if (t) out.set(key, t);
  }
  return out;
}
