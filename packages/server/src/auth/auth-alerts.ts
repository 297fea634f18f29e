import { createHash } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Database, Executor } from '../db/database.ts';
import type { Mailer } from '../mail/mailer.ts';
import { renderTemplate, templateOf } from '../mail/templates.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordHooks } from '../records/hooks.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Collection } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { Clock } from '../tools/clock.ts';
import { nowDate } from '../tools/time.ts';
import { AUTH_ORIGINS } from './auth-collections.ts';

/** Origins kept per record (PocketBase's maxAuthOrigins): the oldest go first. */
const MAX_ORIGINS = 5;

export interface AuthAlertDeps {
  db: Database;
  config: Config;
  logger: Logger;
  mailer: Mailer;
  records: RecordService;
  clock: Clock;
}

/** Where a sign-in came from: the client's address and user agent. */
export interface SignInOrigin {
  ip: string;
  userAgent?: string | undefined;
}

interface OriginRow {
  id: string;
  fingerprint: string;
}

/** The origins of a record, newest first (PocketBase orders them by created). */
function originsOf(db: Database, ex: Executor, c: Collection, recordId: string): Promise<OriginRow[]> {
  return ex.all<OriginRow>(
    db.qb
      .selectFrom(AUTH_ORIGINS)
      .select(['id', 'fingerprint'])
      .where('collectionRef', '=', c.id)
      .where('recordRef', '=', recordId)
      .orderBy('created', 'desc')
      .orderBy('id', 'desc'),
  );
}

/**
 * PocketBase's auth alerts: every completed sign-in (not a token refresh) records its
 * origin, a fingerprint of the client's address and user agent, in `_authOrigins`; a
 * sign-in from an origin the record has not used before mails the record the
 * collection's `authAlert.emailTemplate` (unless it is the record's first sign-in, or
 * `authAlert.enabled` is off). At most five origins are kept per record. Failures are
 * logged and never fail the sign-in.
 */
export function createAuthAlerts(deps: AuthAlertDeps) {
  const { db, config, logger, mailer, records } = deps;

  async function remember(c: Collection, record: RecordValues, origin: SignInOrigin): Promise<void> {
    const ip = origin.ip;
    let ua = origin.userAgent ?? '';
    if (ua.length > 200) ua = `${ua.slice(0, 200)}...`;
    const fingerprint = createHash('md5')
      .update(ip + ua)
      .digest('hex');
    const recordId = String(record.id);
    const origins = await originsOf(db, db, c, recordId);
    const current = origins.find((o) => o.fingerprint === fingerprint);
    const sys = records.asSystem();
    if (current) {
      // like PocketBase: saved again, so `updated` tells when it was last used
      await sys.update(AUTH_ORIGINS, current.id, { fingerprint });
      return;
    }
    if (origins.length > 0 && record.email) {
      const info = `${nowDate(deps.clock.now())} - ${ip} ${ua}`;
      const { subject, body } = renderTemplate(templateOf(c.authAlert?.emailTemplate), config, c, record, {
        '{ALERT_INFO}': escapeHtml(info),
      });
      mailer
        .send({ to: String(record.email), subject, html: body })
        .catch((err: unknown) =>
          logger.warn({ err, record: recordId }, 'sending the auth alert mail failed'),
        );
    }
    for (const old of origins.slice(MAX_ORIGINS - 1)) await sys.delete(AUTH_ORIGINS, old.id);
    await sys.create(AUTH_ORIGINS, { collectionRef: c.id, recordRef: recordId, fingerprint });
  }

  return {
    /** Records the sign-in's origin and alerts on a new one (see createAuthAlerts). */
    async signedIn(c: Collection, record: RecordValues, origin: SignInOrigin): Promise<void> {
      if (!(c.authAlert as { enabled?: boolean } | undefined)?.enabled) return;
      try {
        await remember(c, record, origin);
      } catch (err) {
        logger.warn({ err, collection: c.name }, 'recording the sign-in origin failed');
      }
    },
  };
}

export type AuthAlerts = ReturnType<typeof createAuthAlerts>;

/**
 * Like PocketBase, a record's origins go when its password changes (every other device
 * must sign in again, and each alerts anew), in the writing transaction; a deleted
 * record's go with the rest of what auth keeps about it (record-cleanup.ts).
 */
export function forgetAuthOrigins(hooks: RecordHooks, db: Database): void {
  hooks.afterUpdate('*', async (e) => {
    if (e.collection.type !== 'auth') return;
    const hash = (v: unknown) => (v as { hash?: string } | undefined)?.hash ?? '';
    if (hash(e.previous.password) === hash(e.record.password)) return;
    const sys = e.records.asSystem();
    for (const o of await originsOf(db, e.tx, e.collection, String(e.record.id)))
      await sys.delete(AUTH_ORIGINS, o.id);
  });
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  "'": '&#39;',
};

/** Like Go's html.EscapeString (PocketBase escapes the alert info so). */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}
