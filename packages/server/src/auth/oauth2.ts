import { ApiError, BadRequestError, ForbiddenError, NotFoundError } from '../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { randomSecret, randomString } from '../tools/id.ts';
import type { ExternalAuths } from './external-auths.ts';
import {
  codeChallenge,
  createProvider,
  type OAuthUser,
  PROVIDER_NAMES,
  type ProviderConfig,
} from './oauth2-providers.ts';
import { createOidc } from './oidc.ts';
import { type AuthResult, requireSameCollectionAuth, type SignIn, type SignInContext } from './sign-in.ts';

interface OAuth2Options {
  enabled?: boolean;
  providers?: ProviderConfig[];
  mappedFields?: { id?: string; name?: string; username?: string; avatarURL?: string };
}

const LOAD_ERROR = 'An error occurred while loading the submitted data.';

const DISPLAY: Record<string, string> = {
  google: 'Google',
  github: 'GitHub',
  apple: 'Apple',
  microsoft: 'Microsoft',
  gitlab: 'GitLab',
  discord: 'Discord',
  oidc: 'OpenID Connect',
  oidc2: 'OpenID Connect',
  oidc3: 'OpenID Connect',
};

/**
 * PocketBase's OAuth2 sign-in (auth-with-oauth2) and the provider list of auth-methods.
 * A provider identity is linked to a record in `_external_auths`; an unknown identity
 * joins the record with the same (provider-verified) email, or creates one.
 */
export function createOAuth2Flow(deps: {
  records: RecordService;
  signIn: SignIn;
  externalAuths: ExternalAuths;
  logger: Logger;
  authCollection(name: string): Collection;
  findCollection(idOrName: string): Collection | undefined;
}) {
  const { records, signIn, externalAuths, logger } = deps;
  const oidc = createOidc();

  const options = (c: Collection): OAuth2Options => (c.oauth2 ?? {}) as OAuth2Options;
  const configs = (c: Collection): ProviderConfig[] =>
    (options(c).providers ?? []).filter(
      (p) => p && (PROVIDER_NAMES as readonly string[]).includes(p.name) && typeof p.clientId === 'string',
    );

  /** The record a provider identity signs in as, creating or updating it as PocketBase does. */
  async function resolveRecord(
    c: Collection,
    provider: string,
    user: OAuthUser,
    createData: Record<string, unknown>,
    ctx: SignInContext,
  ): Promise<{ record: RecordValues; isNew: boolean }> {
    let link = await externalAuths.find(c.id, provider, user.id);
    let record = link ? await records.findById(c, link.record_ref) : undefined;
    if (link && !record) {
      // the record was deleted: its link goes with it
      await externalAuths.delete(link.id);
      link = undefined;
    }
    const signedIn =
      ctx.viewer.auth && ctx.viewer.authCollectionId === c.id ? ctx.viewer.auth.record : undefined;
    record ??= signedIn ?? (user.email ? await records.findByField(c, 'email', user.email) : undefined);
    let isNew = false;
    if (!record) {
      if (c.name === SUPERUSERS) throw new BadRequestError('Failed to authenticate.');
      const created = await records.create(c.id, newRecordData(c, user, createData), ctx.viewer);
      isNew = true;
      const id = String(created.id);
      record = await records.findById(c, id);
      if (!record) throw new BadRequestError('Failed to authenticate.');
      if (user.email && record.email === user.email && !record.verified) {
        await records.asSystem().update(c.id, id, { verified: true });
        record = (await records.findById(c, id)) ?? record;
      }
    } else {
      const update: Record<string, unknown> = {};
      const ownSession = signedIn !== undefined && signedIn.id === record.id;
      // like PocketBase: an unverified account may hold a password set by whoever signed
      // up with that address; the provider's proof of the email takes it over
      if (!ownSession && !record.verified) {
        const pw = randomSecret(24);
        update.password = pw;
        update.passwordConfirm = pw;
      }
      if (!record.verified) {
        await externalAuths.deleteByRecord(c.id, String(record.id));
        link = undefined;
      }
      if (!record.email && user.email) update.email = user.email;
      if (!record.verified && (!record.email || record.email === user.email)) update.verified = true;
      if (Object.keys(update).length) {
        await records.asSystem().update(c.id, String(record.id), update);
        record = (await records.findById(c, String(record.id))) ?? record;
      }
    }
    if (!link) {
      await externalAuths.link({
        collection_ref: c.id,
        record_ref: String(record.id),
        provider,
        provider_id: user.id,
      });
    }
    return { record, isNew };
  }

  /** A new record's data: createData, then the provider's email and the mapped fields. */
  function newRecordData(
    c: Collection,
    user: OAuthUser,
    createData: Record<string, unknown>,
  ): Record<string, unknown> {
    const data: Record<string, unknown> = { ...createData };
    if (!data.email) data.email = user.email;
    const mapped = options(c).mappedFields ?? {};
    const has = (name: string | undefined): name is string =>
      !!name && c.fields.some((f) => f.name === name) && !(name in data);
    if (has(mapped.id)) data[mapped.id] = user.id;
    if (has(mapped.name)) data[mapped.name] = user.name;
    if (has(mapped.username) && user.username) data[mapped.username] = user.username;
    if (has(mapped.avatarURL) && user.avatarURL) {
      const f = c.fields.find((x) => x.name === mapped.avatarURL);
      // a file field would need the image downloaded: only URL-holding fields are filled
      if (f?.type !== 'file') data[mapped.avatarURL] = user.avatarURL;
    }
    if (!data.password) {
      const pw = randomSecret(24);
      data.password = pw;
      data.passwordConfirm = pw;
    }
    return data;
  }

  /** The signed-in record of the route's collection. */
  function owner(collection: string, viewer: Viewer): { c: Collection; id: string } {
    requireSameCollectionAuth(viewer, deps.findCollection(collection));
    return { c: deps.authCollection(collection), id: String(viewer.authId) };
  }

  return {
    /** GET external-auths (signed in): the provider identities linked to the record. */
    async listLinks(collection: string, viewer: Viewer): Promise<{ items: Record<string, unknown>[] }> {
      const { c, id } = owner(collection, viewer);
      const rows = await externalAuths.listByRecord(c.id, id);
      return {
        items: rows
          .filter((r) => r.provider !== 'anonymous')
          .map((r) => ({ id: r.id, provider: r.provider, providerId: r.provider_id, created: r.created })),
      };
    },

    /** DELETE external-auths/{provider} (signed in): unlinks that provider from the record. */
    async unlink(collection: string, provider: string, viewer: Viewer): Promise<void> {
      const { c, id } = owner(collection, viewer);
      const row = (await externalAuths.listByRecord(c.id, id)).find(
        (r) => r.provider === provider && provider !== 'anonymous',
      );
      if (!row) throw new NotFoundError();
      await externalAuths.delete(row.id);
    },

    /** auth-methods' `oauth2.providers`: each with a fresh state and PKCE pair (PocketBase). */
    async providers(c: Collection): Promise<Record<string, unknown>[]> {
      if (!options(c).enabled) return [];
      const out: Record<string, unknown>[] = [];
      for (const cfg of configs(c)) {
        try {
          const provider = createProvider(cfg, oidc);
          const state = randomString(30);
          const codeVerifier = provider.pkce ? randomString(43) : '';
          const authURL = await provider.authURL(state, codeVerifier);
          out.push({
            name: cfg.name,
            displayName: cfg.displayName || DISPLAY[cfg.name] || cfg.name,
            state,
            authURL,
            authUrl: authURL,
            codeVerifier,
            codeChallenge: provider.pkce ? codeChallenge(codeVerifier) : '',
            codeChallengeMethod: provider.pkce ? 'S256' : '',
          });
        } catch (err) {
          logger.debug?.({ err, provider: cfg.name }, 'OAuth2 provider left out of auth-methods');
        }
      }
      return out;
    },

    /** POST auth-with-oauth2 `{provider, code, codeVerifier, redirectURL, createData}`. */
    async authWithOAuth2(
      collection: string,
      body: Record<string, unknown>,
      ctx: SignInContext,
    ): Promise<AuthResult & { meta?: Record<string, unknown> }> {
      const c = deps.authCollection(collection);
      if (!options(c).enabled)
        throw new ForbiddenError('The collection is not configured to allow OAuth2 authentication.');
      const name = typeof body.provider === 'string' ? body.provider : '';
      const code = typeof body.code === 'string' ? body.code : '';
      const cfg = configs(c).find((p) => p.name === name);
      const errors: Record<string, ReturnType<typeof fieldError>> = {};
      if (!name) errors.provider = fields.required();
      else if (!cfg)
        errors.provider = fieldError(
          FieldCode.invalidProvider,
          `Provider with name ${name.slice(0, 100)} is missing or is not enabled.`,
          { name },
        );
      if (!code) errors.code = fields.required();
      if (!cfg || Object.keys(errors).length) throw new BadRequestError(LOAD_ERROR, errors);
      const redirectURL = String(body.redirectURL ?? body.redirectUrl ?? '');
      const createData =
        body.createData && typeof body.createData === 'object' && !Array.isArray(body.createData)
          ? (body.createData as Record<string, unknown>)
          : {};
      let user: OAuthUser;
      try {
        user = await createProvider(cfg, oidc).signIn(code, String(body.codeVerifier ?? ''), redirectURL);
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw new BadRequestError('Failed to fetch OAuth2 token.', {}, { cause: e });
      }
      const { record, isNew } = await resolveRecord(c, cfg.name, user, createData, ctx);
      const result = await signIn.complete(c, record, 'oauth2', ctx);
      if ('mfaId' in result) return result;
      return { ...result, meta: { ...user, isNew } };
    },
  };
}
