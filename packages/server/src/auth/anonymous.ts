import {
  BadRequestError,
  ForbiddenError,
  TooManyRequestsError,
  UnauthorizedError,
} from '../errors/api-error.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { Clock } from '../tools/clock.ts';
import { randomSecret } from '../tools/id.ts';
import type { ExternalAuths } from './external-auths.ts';
import { readForm } from './forms.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { type AuthSuccess, requireSameCollectionAuth, type SignIn, type SignInContext } from './sign-in.ts';

/** Anonymous sign-ins per client IP within 10 minutes. */
export const ANONYMOUS_PER_IP = 30;

/** The marker of an anonymous record: an `_external_auths` link to this pseudo provider. */
const PROVIDER = 'anonymous';

/**
 * ForgeBase's anonymous sign-in (like Supabase's): with `anonymousAuth.enabled`, anyone
 * may get a record with no email and an unknown random password, and a token for it.
 * The record later becomes a regular one by setting an email and a password, keeping
 * its id (and so everything it owns).
 */
export function createAnonymousFlow(deps: {
  records: RecordService;
  signIn: SignIn;
  externalAuths: ExternalAuths;
  clock: Clock;
  authCollection(name: string): Collection;
  findCollection(idOrName: string): Collection | undefined;
}) {
  const { records, signIn, externalAuths } = deps;
  // each call creates a record: a client IP gets at most this many per window
  const perIp = createRateLimiter({ limit: ANONYMOUS_PER_IP, windowMs: 600_000, clock: deps.clock });

  function enabledCollection(name: string): Collection {
    const c = deps.authCollection(name);
    if (!c.anonymousAuth?.enabled || c.name === SUPERUSERS)
      throw new ForbiddenError('The collection is not configured to allow anonymous authentication.');
    // an anonymous record has no email: the field must allow that
    if (c.fields.some((f) => f.name === 'email' && f.required))
      throw new BadRequestError('Anonymous sign-in needs the email field of the collection to be optional.');
    return c;
  }

  return {
    /**
     * POST auth-anonymously `{data?}`: a new anonymous record (the collection's createRule
     * applies to the caller, and `data` may fill its other fields) and its token.
     */
    async authAnonymously(
      collection: string,
      body: Record<string, unknown>,
      ctx: SignInContext,
    ): Promise<AuthSuccess> {
      const c = enabledCollection(collection);
      if (perIp.exceeded(ctx.ip))
        throw new TooManyRequestsError('Too many anonymous sign-ins, please try again later.');
      perIp.hit(ctx.ip);
      const data =
        body.data && typeof body.data === 'object' && !Array.isArray(body.data)
          ? (body.data as Record<string, unknown>)
          : {};
      const pw = randomSecret(24);
      const { email: _e, verified: _v, password: _p, passwordConfirm: _pc, ...fields } = data;
      const created = await records.create(
        c.id,
        { ...fields, password: pw, passwordConfirm: pw },
        ctx.viewer,
      );
      const id = String(created.id);
      await externalAuths.link({ collection_ref: c.id, record_ref: id, provider: PROVIDER, provider_id: id });
      const record = await records.findById(c, id);
      if (!record) throw new BadRequestError('Failed to authenticate.');
      await signIn.checkAuthRule(c, record, ctx.viewer);
      return signIn.response(c, record);
    },

    /**
     * POST upgrade-anonymous `{email, password, passwordConfirm}` (signed in as the
     * anonymous record): sets its email and password, keeps its id, and answers a new
     * token (the password change signs out the anonymous one). The email is unverified.
     */
    async upgrade(collection: string, body: Record<string, unknown>, viewer: Viewer): Promise<AuthSuccess> {
      requireSameCollectionAuth(viewer, deps.findCollection(collection));
      const c = deps.authCollection(collection);
      const id = String(viewer.authId);
      const link = await externalAuths.find(c.id, PROVIDER, id);
      if (!link) throw new BadRequestError('The signed-in record is not anonymous.');
      const form = await readForm(body, {
        email: { required: true, max: 255, email: true },
        password: { required: true },
        passwordConfirm: { required: true },
      });
      // the record may not manage its own email and password: do it as the system would
      await records.asSystem().update(c.id, id, form);
      await externalAuths.delete(link.id);
      const record = await records.findById(c, id);
      if (!record) throw new UnauthorizedError('The request requires valid record authorization token.');
      return signIn.response(c, record);
    },
  };
}
