import { AsyncLocalStorage } from 'node:async_hooks';
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Database, Transaction } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { ListParams } from '../records/list.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Clock } from '../tools/clock.ts';
import { formatDate, parseDate } from '../tools/time.ts';
import { type AuditActor, type ChainedEntry, type ChainVerdict, createChainWalker } from './audit-chain.ts';
import { type AuditCheckpoint, type AuditPage, createAuditStore } from './audit-store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE = 500;

/** What an action reports; the service fills in seq, time and the chain links. */
export interface AuditInput {
  /** Dotted, stable: `auth.signIn`, `auth.signInFailed`, `collection.create`, `database.token.issue` … */
  action: string;
  /** Who did it: a Viewer (a request's) or an actor; the system when absent. */
  actor?: Viewer | AuditActor;
  target?: string;
  ip?: string;
  /** Details; values under secret-looking keys are redacted (see redactSecrets). */
  data?: Record<string, unknown>;
}

/**
 * The request an action runs in, for entries that do not name their actor or IP: the
 * HTTP layer enters it at the start of every request (see http/operator-access.ts).
 */
export interface AuditRequest {
  ip: string;
  viewer(): Promise<Viewer>;
}

/** What `verify` reports: the chain's verdict plus what the checkpoints said. */
export type AuditReport = ChainVerdict & { start: { seq: number; hash: string }; signedHeads: number };

/** Keys whose values never enter the audit log (settings secrets, passwords, tokens). */
const SECRET_KEY_RE = /(secret|password|token|privatekey|apikey|credential)/i;

/**
 * A copy of `data` with the values of secret-looking keys (`clientSecret`, `password`,
 * `smtp.password`, `token` …) replaced by `"***"` at every depth: an audit entry says
 * that a secret changed, never what it is.
 */
export function redactSecrets(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(redactSecrets);
  if (!data || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    out[k] =
      SECRET_KEY_RE.test(k) && v !== '' && v !== null && v !== undefined && typeof v !== 'boolean'
        ? '***'
        : redactSecrets(v);
  }
  return out;
}

/** The audit actor a request's viewer stands for. */
export function actorOf(viewer: Viewer | AuditActor | undefined): AuditActor {
  if (!viewer) return { type: 'system', id: '', collection: '' };
  if ('type' in viewer) return viewer;
  if (viewer.system) return { type: 'system', id: '', collection: '' };
  if (viewer.apiKey) return { type: 'apiKey', id: viewer.apiKey.id, collection: '' };
  if (viewer.auth)
    return {
      type: viewer.superuser ? 'superuser' : 'record',
      id: String(viewer.auth.record.id),
      collection: viewer.auth.collection.name,
    };
  return { type: 'guest', id: '', collection: '' };
}

/** The text a head signature covers. */
function signedText(seq: number, hash: string): string {
  return `forgebase-audit-head:v1:${seq}:${hash}`;
}

function rawPublicKey(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url').toString('base64');
}

function publicKeyFromRaw(raw: string): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw, 'base64').toString('base64url') },
    format: 'jwk',
  });
}

/**
 * Checks a checkpoint's signature against the configured key's public half (or, without
 * one, the key it names): a checkpoint anyone with database access could forge is
 * worth nothing, so only the configured key counts when there is one.
 */
export function checkpointSigned(cp: AuditCheckpoint, publicKey: string | undefined): boolean {
  if (!cp.signature || !cp.publicKey) return false;
  if (publicKey && cp.publicKey !== publicKey) return false;
  try {
    return verify(
      null,
      Buffer.from(signedText(cp.seq, cp.hash)),
      publicKeyFromRaw(cp.publicKey),
      Buffer.from(cp.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** An export's JSON (`forgebase audit export --format json`). */
export interface AuditExport {
  start: { seq: number; hash: string };
  publicKey: string;
  checkpoints: AuditCheckpoint[];
  entries: ChainedEntry[];
  head: { seq: number; hash: string };
}

/**
 * Checks an export offline: its entries link from `start` to `head`, and every signed
 * checkpoint inside it matches its entry and is signed by `publicKey` (the auditor's copy
 * of the operator's public key, else the one the export names).
 */
export function verifyExport(doc: AuditExport, publicKey = doc.publicKey): ChainVerdict {
  const walker = createChainWalker(doc.start);
  for (const e of doc.entries) if (!walker.push(e)) break;
  const r = walker.result();
  if (!r.ok) return r;
  if (r.head.seq !== doc.head.seq || r.head.hash !== doc.head.hash)
    return {
      ok: false,
      count: r.count,
      seq: r.head.seq + 1,
      problem: 'missing',
      message: `the export ends at entry ${r.head.seq}, its head says ${doc.head.seq}`,
    };
  const bySeq = new Map(doc.entries.map((e) => [e.seq, e]));
  for (const cp of doc.checkpoints) {
    const e = bySeq.get(cp.seq);
    if (!e || !cp.signature) continue;
    if (e.hash !== cp.hash || !checkpointSigned(cp, publicKey || undefined))
      return {
        ok: false,
        count: r.count,
        seq: cp.seq,
        problem: 'altered',
        message: `entry ${cp.seq} does not match the head signed at ${cp.created}`,
      };
  }
  return r;
}

/**
 * The tamper-evident audit log (docs/audit.md): `append` chains an entry in the caller's
 * transaction; `verify` walks the chain; `exportTo` writes it with its head for offline
 * checks; `signHead` and `prune` are cron work (a signed head every 10 minutes when a
 * signing key is configured; retention with a signed checkpoint).
 */
export function createAuditService(deps: {
  db: Database;
  clock: Clock;
  logger: Logger;
  config: { auditRetentionDays: number; auditSigningKeyFile?: string | undefined };
}) {
  const { db, clock, config } = deps;
  const store = createAuditStore(db);
  const requests = new AsyncLocalStorage<AuditRequest>();
  let signingKey: KeyObject | undefined;
  const key = (): KeyObject | undefined => {
    if (!config.auditSigningKeyFile) return undefined;
    signingKey ??= createPrivateKey(readFileSync(config.auditSigningKeyFile, 'utf8'));
    if (signingKey.asymmetricKeyType !== 'ed25519')
      throw new Error(
        `${config.auditSigningKeyFile}: the audit signing key must be an Ed25519 private key (PEM)`,
      );
    return signingKey;
  };

  function checkpoint(seq: number, hash: string, kind: 'head' | 'prune'): AuditCheckpoint {
    const k = key();
    return {
      seq,
      hash,
      kind,
      signature: k ? sign(null, Buffer.from(signedText(seq, hash)), k).toString('base64') : '',
      publicKey: k ? rawPublicKey(k) : '',
      created: formatDate(new Date(clock.now())),
    };
  }

  const service = {
    /**
     * Appends an entry: inside `tx` (the action's transaction) when given, so it commits
     * or rolls back with the action; else on its own (a failed sign-in writes nothing else).
     */
    async append(input: AuditInput, tx?: Transaction): Promise<ChainedEntry> {
      const request = requests.getStore();
      const entry = {
        created: formatDate(new Date(clock.now())),
        actor: actorOf(input.actor ?? (request ? await request.viewer() : undefined)),
        action: input.action,
        target: input.target ?? '',
        ip: input.ip ?? request?.ip ?? '',
        data: (redactSecrets(input.data ?? {}) ?? {}) as Record<string, unknown>,
      };
      return tx ? store.append(tx, entry) : db.transaction((t) => store.append(t, entry));
    },

    /**
     * Runs `action` in a transaction and appends the entry `entryOf(result)` describes in
     * it: the writes `action` makes through the database join that transaction (on both
     * dialects), so the action and its entry commit together or not at all.
     *
     * @example audit.recorded(() => apiKeys.revoke(id), () => ({ action: 'apiKey.revoke', target: id }))
     */
    recorded<T>(action: () => Promise<T>, entryOf: (result: T) => AuditInput): Promise<T> {
      return db.transaction(async (tx) => {
        const result = await action();
        await service.append(entryOf(result), tx);
        return result;
      });
    },

    /** Marks the rest of the current async context as serving `request` (an HTTP request's start). */
    enterRequest(request: AuditRequest): void {
      requests.enterWith(request);
    },

    list: (params: ListParams): Promise<AuditPage> => store.list(params),

    /** The newest entry's seq and hash. */
    head: () => store.head(),

    /**
     * Walks the whole chain from its start (genesis or the last pruning checkpoint) and
     * names the first entry that is altered, missing or out of place; a signed head
     * beyond the last entry means entries were cut off the end.
     */
    async verify(): Promise<AuditReport> {
      const cps = await store.checkpoints();
      const publicKey = key() ? rawPublicKey(key()!) : undefined;
      const start = await store.start();
      const startCp = cps.find((c) => c.kind === 'prune' && c.seq === start.seq);
      const walker = createChainWalker(start);
      let at = start.seq;
      for (;;) {
        const page = await store.after(at, PAGE);
        for (const e of page) if (!walker.push(e)) break;
        const r = walker.result();
        if (!r.ok || page.length < PAGE) break;
        at = page[page.length - 1]!.seq;
      }
      const verdict = walker.result();
      const report = (v: ChainVerdict): AuditReport => ({
        ...v,
        start,
        signedHeads: cps.filter((c) => c.kind === 'head' && c.signature).length,
      });
      if (!verdict.ok) return report(verdict);
      const last = verdict.head;
      if (startCp && publicKey && !checkpointSigned(startCp, publicKey))
        return report({
          ok: false,
          count: verdict.count,
          seq: start.seq + 1,
          problem: 'unlinked',
          message: `the pruning checkpoint at entry ${start.seq} is not signed by the configured key`,
        });
      for (const cp of cps) {
        if (cp.kind !== 'head') continue;
        if (cp.seq > last.seq)
          return report({
            ok: false,
            count: verdict.count,
            seq: last.seq + 1,
            problem: 'missing',
            message: `entry ${last.seq + 1} is missing: a signed head covers the chain up to entry ${cp.seq}`,
          });
        if (cp.seq <= start.seq) continue;
        const e = await store.entry(cp.seq);
        if (!e || e.hash !== cp.hash || (cp.signature && !checkpointSigned(cp, publicKey)))
          return report({
            ok: false,
            count: verdict.count,
            seq: cp.seq,
            problem: 'altered',
            message: `entry ${cp.seq} does not match the head signed at ${cp.created}`,
          });
      }
      return report(verdict);
    },

    /**
     * Writes the chain from `since` (a date: the first entry created then or later) as
     * JSON (`{ start, head, publicKey, checkpoints, entries }`) or CSV (one row per entry;
     * the head is the last row's hash), streaming, in pages. Returns the head.
     */
    async exportTo(
      out: Writable,
      opts: { format: 'json' | 'csv'; since?: string },
    ): Promise<ChainedEntry | undefined> {
      let after = (await store.start()).seq;
      if (opts.since) {
        const date = parseDate(opts.since);
        if (!date) throw new Error(`--since: "${opts.since}" is not a date (2026-01-31 or an ISO time)`);
        const first = await store.firstSince(date);
        after = first === undefined ? Number.MAX_SAFE_INTEGER : first - 1;
      }
      const write = async (s: string) => {
        if (!out.write(s)) await once(out, 'drain');
      };
      const prev = after > 0 ? await store.entry(after) : undefined;
      const start = prev ? { seq: prev.seq, hash: prev.hash } : await store.start();
      if (opts.format === 'json') {
        const pk = key() ? rawPublicKey(key()!) : '';
        const cps = await store.checkpoints();
        await write(
          `{"start":${JSON.stringify(start)},"publicKey":${JSON.stringify(pk)},"checkpoints":${JSON.stringify(cps)},"entries":[`,
        );
      } else {
        await write(`${CSV_COLUMNS.join(',')}\n`);
      }
      let last: ChainedEntry | undefined;
      let first = true;
      for (;;) {
        const page = await store.after(after, PAGE);
        for (const e of page) {
          if (opts.format === 'json') await write(`${first ? '\n' : ',\n'}${JSON.stringify(e)}`);
          else await write(`${csvRow(e)}\n`);
          first = false;
          last = e;
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.seq;
      }
      if (opts.format === 'json')
        await write(`\n],"head":${JSON.stringify(last ? { seq: last.seq, hash: last.hash } : start)}}\n`);
      return last;
    },

    /** Signs the current head when a signing key is set and the head moved since the last signature. */
    async signHead(): Promise<AuditCheckpoint | undefined> {
      if (!key()) return undefined;
      const head = await store.head();
      if (head.seq === 0) return undefined;
      const cps = await store.checkpoints();
      if (cps.some((c) => c.seq === head.seq)) return undefined;
      const cp = checkpoint(head.seq, head.hash, 'head');
      await store.saveCheckpoint(db, cp);
      return cp;
    },

    /**
     * Deletes entries older than `auditRetentionDays` (0 keeps everything), keeping the
     * newest; the last deleted entry's seq and hash become a (signed) checkpoint the
     * chain then starts from, in the same transaction. Returns how many were deleted.
     */
    async prune(): Promise<number> {
      if (config.auditRetentionDays <= 0) return 0;
      const cutoff = formatDate(new Date(clock.now() - config.auditRetentionDays * DAY_MS));
      return db.transaction(async (tx) => {
        const last = await store.lastBefore(tx, cutoff);
        if (!last) return 0;
        return store.prune(tx, checkpoint(last.seq, last.hash, 'prune'));
      });
    },
  };
  return service;
}

export type AuditService = ReturnType<typeof createAuditService>;

const CSV_COLUMNS = [
  'seq',
  'created',
  'actorType',
  'actorId',
  'actorCollection',
  'action',
  'target',
  'ip',
  'data',
  'prevHash',
  'hash',
] as const;

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

function csvRow(e: ChainedEntry): string {
  const values: Record<(typeof CSV_COLUMNS)[number], string> = {
    seq: String(e.seq),
    created: e.created,
    actorType: e.actor.type,
    actorId: e.actor.id,
    actorCollection: e.actor.collection,
    action: e.action,
    target: e.target,
    ip: e.ip,
    data: JSON.stringify(e.data),
    prevHash: e.prevHash,
    hash: e.hash,
  };
  return CSV_COLUMNS.map((c) => csvField(values[c])).join(',');
}
