import type { TOTP } from 'otpauth';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { BadRequestError, TooManyRequestsError } from '../errors/api-error.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { Clock } from '../tools/clock.ts';
import { resealRows, type SecretBox } from '../tools/secret-box.ts';
import { nowDate } from '../tools/time.ts';
import type { AuthStore } from './auth-store.ts';
import { readForm } from './forms.ts';
import { createRateLimiter, type RateLimiter, reserveAll, TOO_MANY_FAILURES } from './rate-limiter.ts';
import { type AuthResult, requireSameCollectionAuth, type SignIn, type SignInContext } from './sign-in.ts';

interface TotpRow {
  collection_ref: string;
  record_ref: string;
  secret: string;
  confirmed: number;
  last_step: number;
  created: string;
}

const PERIOD = 30;
const INVALID = 'Invalid or expired TOTP code.';

/**
 * ForgeBase's authenticator-app second factor (RFC 6238 via `otpauth`): a signed-in
 * record enrols (secret + otpauth:// URI), confirms with a first code, and from then on
 * a code completes an MFA sign-in (`auth-with-totp {mfaId, code}`). A code is accepted
 * one step either side of now, and only once: the step it matched is remembered.
 */
export function createTotpFlow(deps: {
  db: Database;
  config: Config;
  records: RecordService;
  store: AuthStore;
  signIn: SignIn;
  ipFailures: RateLimiter;
  clock: Clock;
  /** Seals the TOTP secrets of `_totps` (they must stay readable to check codes). */
  secrets: SecretBox;
  authCollection(name: string): Collection;
  findCollection(idOrName: string): Collection | undefined;
}) {
  const { db, records, store, signIn, secrets } = deps;
  const qb = db.sys;
  // 5 wrong codes per record within 5 minutes, then 429
  const attempts = createRateLimiter({ limit: 5, windowMs: 300_000, clock: deps.clock });

  const where = (c: Collection, id: string) => (q: any) =>
    q.where('collection_ref', '=', c.id).where('record_ref', '=', id);

  /** A record's TOTP row, its secret opened. */
  async function find(c: Collection, id: string): Promise<TotpRow | undefined> {
    const row = await db.first<TotpRow>(where(c, id)(qb.selectFrom('_totps').selectAll()));
    return row ? { ...row, secret: secrets.open(row.secret) } : undefined;
  }

  // otpauth loads with the first TOTP request
  async function totpOf(c: Collection, row: TotpRow, label = ''): Promise<TOTP> {
    const { Secret, TOTP } = await import('otpauth');
    return new TOTP({
      issuer: deps.config.appName || 'ForgeBase',
      label: label || c.name,
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD,
      secret: Secret.fromBase32(row.secret),
    });
  }

  /** The signed-in record's collection, its TOTP row (if any) and the `code` of the body. */
  async function ownRow(collection: string, body: Record<string, unknown>, viewer: Viewer) {
    requireSameCollectionAuth(viewer, deps.findCollection(collection));
    const c = deps.authCollection(collection);
    const form = await readForm(body, { code: { required: true, max: 10 } });
    return { c, row: await find(c, String(viewer.authId)), code: form.code };
  }

  /**
   * Checks a code against a record's secret and spends its time step (a compare-and-set
   * on last_step, so a code and every earlier one stop working). Counts failures.
   */
  async function spend(c: Collection, row: TotpRow, code: string, ip: string): Promise<void> {
    const key = `${c.id}:${row.record_ref}`;
    // counted as it arrives, given back when the code was right
    const attempt = reserveAll([
      [deps.ipFailures, ip],
      [attempts, key],
    ]);
    if (!attempt) throw new TooManyRequestsError(TOO_MANY_FAILURES);
    const delta = /^\d{6}$/.test(code) ? (await totpOf(c, row)).validate({ token: code, window: 1 }) : null;
    const step = delta === null ? 0 : Math.floor(deps.clock.now() / 1000 / PERIOD) + delta;
    const fresh =
      delta !== null &&
      (
        await db.run(
          where(
            c,
            row.record_ref,
          )(qb.updateTable('_totps').set({ last_step: step })).where('last_step', '<', step),
        )
      ).changes > 0;
    if (!fresh) throw new BadRequestError(INVALID);
    attempt.release();
    attempts.reset(key);
  }

  const confirmed = (row: TotpRow | undefined) => row !== undefined && Number(row.confirmed) === 1;

  return {
    /** POST totp/enroll (signed in): a new secret and otpauth URI, until confirmed. */
    async enroll(collection: string, viewer: Viewer): Promise<{ secret: string; uri: string }> {
      requireSameCollectionAuth(viewer, deps.findCollection(collection));
      const c = deps.authCollection(collection);
      const id = String(viewer.authId);
      if (confirmed(await find(c, id)))
        throw new BadRequestError('TOTP is already enabled; disable it before enrolling again.');
      const row: TotpRow = {
        collection_ref: c.id,
        record_ref: id,
        secret: new (await import('otpauth')).Secret({ size: 20 }).base32,
        confirmed: 0,
        last_step: 0,
        created: nowDate(deps.clock.now()),
      };
      await db.run(where(c, id)(qb.deleteFrom('_totps')));
      await db.run(qb.insertInto('_totps').values({ ...row, secret: secrets.seal(row.secret) }));
      const label = String(viewer.auth?.record.email || viewer.auth?.record.username || id);
      return { secret: row.secret, uri: (await totpOf(c, row, label)).toString() };
    },

    /** POST totp/confirm `{code}` (signed in): the first code turns TOTP on. */
    async confirm(
      collection: string,
      body: Record<string, unknown>,
      viewer: Viewer,
      ip: string,
    ): Promise<void> {
      const { c, row, code } = await ownRow(collection, body, viewer);
      if (!row || confirmed(row)) throw new BadRequestError('There is no TOTP enrolment to confirm.');
      await spend(c, row, code, ip);
      await db.run(where(c, row.record_ref)(qb.updateTable('_totps').set({ confirmed: 1 })));
    },

    /** POST totp/disable `{code}` (signed in): a current code turns TOTP off. */
    async disable(
      collection: string,
      body: Record<string, unknown>,
      viewer: Viewer,
      ip: string,
    ): Promise<void> {
      const { c, row, code } = await ownRow(collection, body, viewer);
      if (!confirmed(row) || !row) throw new BadRequestError('TOTP is not enabled.');
      await spend(c, row, code, ip);
      await db.run(where(c, row.record_ref)(qb.deleteFrom('_totps')));
    },

    /** POST auth-with-totp `{mfaId, code}`: a TOTP code as the second factor of an MFA sign-in. */
    async authWithTotp(
      collection: string,
      body: Record<string, unknown>,
      ctx: SignInContext,
    ): Promise<AuthResult> {
      const c = deps.authCollection(collection);
      const form = await readForm(body, { code: { required: true, max: 10 } });
      if (!ctx.mfaId)
        throw new BadRequestError(
          'TOTP only completes a multi-factor sign-in: send the mfaId of the first factor.',
        );
      const session = await store.findMfa(ctx.mfaId);
      if (!session || session.collection_ref !== c.id)
        throw new BadRequestError('Invalid or expired MFA session.');
      const row = await find(c, session.record_ref);
      const record = await records.findById(c, session.record_ref);
      if (!record || !row || !confirmed(row)) throw new BadRequestError(INVALID);
      await spend(c, row, form.code, ctx.ip);
      return signIn.complete(c, record, 'totp', ctx);
    },
  };
}

/** `_totps` as a store of sealed secrets: re-seals those in clear or under a previous key. */
export function totpSecretStore(db: Database) {
  return {
    name: 'the TOTP secrets (_totps)',
    async reseal(box: SecretBox): Promise<number> {
      const qb = db.sys;
      const rows = await db.all<TotpRow>(qb.selectFrom('_totps').selectAll());
      return resealRows(
        box,
        rows,
        (r) => r.secret,
        async (r, secret) => {
          await db.run(
            qb
              .updateTable('_totps')
              .set({ secret })
              .where('collection_ref', '=', r.collection_ref)
              .where('record_ref', '=', r.record_ref),
          );
        },
      );
    },
  };
}
