import { createHash } from 'node:crypto';

/** Who did it: a superuser, an auth record, an API key, or ForgeBase itself (CLI, cron). */
export interface AuditActor {
  type: 'superuser' | 'record' | 'apiKey' | 's3Key' | 'system' | 'guest';
  /** The record, key or '' (system, guest). */
  id: string;
  /** The auth collection's name for superusers and records; '' otherwise. */
  collection: string;
}

/** One audit entry as it is chained: everything here is covered by `hash`. */
export interface AuditEntry {
  /** Position in the chain: 1, 2, 3 … with no gap (a gap is a deleted entry). */
  seq: number;
  /** Stored date format (`2006-01-02 15:04:05.000Z`). */
  created: string;
  actor: AuditActor;
  /** What happened, dotted: `auth.signIn`, `collection.update`, `settings.update` … */
  action: string;
  /** What it happened to: `collection/record id`, a collection name, a key id, '' when none. */
  target: string;
  /** The client address of the request, '' without one. */
  ip: string;
  /** Details (secrets redacted before they get here). */
  data: Record<string, unknown>;
}

/** An entry with its links: `hash = SHA-256(prev_hash ‖ canonical entry)`. */
export interface ChainedEntry extends AuditEntry {
  prevHash: string;
  hash: string;
}

/** The `prev_hash` of the first entry of a chain that was never pruned. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every level and no whitespace, so one entry has one
 * byte form whatever the database did to the key order of its JSON (PostgreSQL's JSONB
 * reorders keys). `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The hash that chains `entry` after the entry whose hash is `prevHash` (hex SHA-256). */
export function entryHash(prevHash: string, entry: AuditEntry): string {
  const canonical = canonicalJson({
    seq: entry.seq,
    created: entry.created,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    ip: entry.ip,
    data: entry.data,
  });
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** Where a chain starts: after the last pruned entry (a checkpoint), or at the genesis. */
export interface ChainStart {
  /** The seq of the last entry before the first one walked (0 at the genesis). */
  seq: number;
  hash: string;
}

/** What a walk found: every entry linked, or the first one that is not. */
export type ChainVerdict =
  | { ok: true; count: number; head: ChainStart }
  | {
      ok: false;
      count: number;
      /** The seq where the chain breaks: the altered entry, or the one expected where one is missing. */
      seq: number;
      problem: 'altered' | 'missing' | 'unlinked' | 'out of order';
      message: string;
    };

/**
 * Walks entries (in the order the table holds them by seq) from `start` and checks each
 * link: seq follows the previous one (a gap is a deleted entry), `prev_hash` is the
 * previous hash, and `hash` is what the entry's content gives. Reports the first
 * broken link. Feed it pages with `push`, then read `result()`.
 */
export function createChainWalker(start: ChainStart) {
  let prev = start;
  let count = 0;
  let verdict: ChainVerdict | undefined;
  return {
    /** Checks the next entry; false once the chain broke (stop feeding). */
    push(e: ChainedEntry): boolean {
      if (verdict) return false;
      const expected = prev.seq + 1;
      if (e.seq !== expected) {
        verdict =
          e.seq > expected
            ? {
                ok: false,
                count,
                seq: expected,
                problem: 'missing',
                message: `entry ${expected} is missing (the next one is ${e.seq})`,
              }
            : {
                ok: false,
                count,
                seq: e.seq,
                problem: 'out of order',
                message: `entry ${e.seq} is out of order`,
              };
        return false;
      }
      if (entryHash(e.prevHash, e) !== e.hash) {
        verdict = {
          ok: false,
          count,
          seq: e.seq,
          problem: 'altered',
          message: `entry ${e.seq} was altered: its hash does not match its content`,
        };
        return false;
      }
      if (e.prevHash !== prev.hash) {
        verdict = {
          ok: false,
          count,
          seq: e.seq,
          problem: 'unlinked',
          message: `entry ${e.seq} does not link to entry ${prev.seq}: the entries before it were altered, replaced or reordered`,
        };
        return false;
      }
      prev = { seq: e.seq, hash: e.hash };
      count++;
      return true;
    },
    result(): ChainVerdict {
      return verdict ?? { ok: true, count, head: prev };
    },
  };
}
