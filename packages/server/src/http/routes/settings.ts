import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { superuserOnly, viewerOf } from '../viewer.ts';

const secret = (what: string) =>
  Type.String({
    description: `${what}. Write-only: always "" in answers; "" in a PATCH keeps the stored one.`,
  });

const Meta = Type.Object({
  appName: Type.String(),
  appURL: Type.String(),
  senderName: Type.String(),
  senderAddress: Type.String(),
  hideControls: Type.Boolean(),
});

const Logs = Type.Object({
  maxDays: Type.Integer(),
  minLevel: Type.Integer(),
  logIP: Type.Boolean(),
  logAuthId: Type.Boolean(),
});

const Smtp = Type.Object({
  enabled: Type.Boolean(),
  host: Type.String(),
  port: Type.Integer(),
  username: Type.String(),
  password: secret('The SMTP password'),
  authMethod: Type.String({ description: 'PLAIN (default) or LOGIN.' }),
  tls: Type.Boolean(),
  localName: Type.String({ description: 'The EHLO name ("" = this host).' }),
});

const S3 = Type.Object({
  enabled: Type.Boolean(),
  bucket: Type.String(),
  region: Type.String(),
  endpoint: Type.String(),
  accessKey: Type.String(),
  secret: secret('The secret key'),
  forcePathStyle: Type.Boolean(),
});

const Backups = Type.Object({
  cron: Type.String({ description: 'When scheduled backups are taken ("" = never).' }),
  cronMaxKeep: Type.Integer(),
  s3: S3,
});

const Batch = Type.Object({
  enabled: Type.Boolean(),
  maxRequests: Type.Integer(),
  timeout: Type.Integer({ description: 'Seconds.' }),
  maxBodySize: Type.Integer({ description: 'Bytes; 0 = the server body limit.' }),
});

const RateLimitRule = Type.Object({
  label: Type.String({
    description: '`/path/` (prefix), `/path`, `METHOD /path`, `collection:action` or `*:action`.',
  }),
  audience: Type.Optional(Type.String({ description: '"" everyone, "@guest" or "@auth".' })),
  duration: Type.Integer({ description: 'The window, in seconds.' }),
  maxRequests: Type.Integer(),
});

const RateLimits = Type.Object({
  enabled: Type.Boolean(),
  rules: Type.Array(RateLimitRule),
  excludedIPs: Type.Array(Type.String()),
});

const TrustedProxy = Type.Object({
  headers: Type.Array(Type.String(), {
    description:
      'Headers naming the client address (e.g. X-Forwarded-For), believed only from config `trusted_proxies`.',
  }),
  useLeftmostIP: Type.Boolean({
    description: 'Take the leftmost address of a list instead of the rightmost.',
  }),
});

const SuperuserIps = Type.Array(Type.String(), {
  description: 'When not empty, superuser requests from any other IP or CIDR are refused (403).',
});

const Settings = Type.Object({
  meta: Meta,
  logs: Logs,
  smtp: Smtp,
  s3: S3,
  backups: Backups,
  batch: Batch,
  rateLimits: RateLimits,
  trustedProxy: TrustedProxy,
  superuserIPs: SuperuserIps,
});

/** A PATCH names only what changes (per section); the settings service checks the values. */
const SettingsPatch = Type.Object({
  meta: Type.Optional(Type.Partial(Meta)),
  logs: Type.Optional(Type.Partial(Logs)),
  smtp: Type.Optional(Type.Partial(Smtp)),
  s3: Type.Optional(Type.Partial(S3)),
  backups: Type.Optional(
    Type.Object({
      cron: Type.Optional(Type.String()),
      cronMaxKeep: Type.Optional(Type.Integer()),
      s3: Type.Optional(Type.Partial(S3)),
    }),
  ),
  batch: Type.Optional(Type.Partial(Batch)),
  rateLimits: Type.Optional(Type.Partial(RateLimits)),
  trustedProxy: Type.Optional(Type.Partial(TrustedProxy)),
  superuserIPs: Type.Optional(SuperuserIps),
});

const tags = ['settings'];

/** PocketBase's settings API (superusers): every settings section, test email, test S3. */
export function settingsRoutes(app: RouteApp, { settings, auth, audit }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  app.get(
    '/api/settings',
    {
      preValidation,
      schema: {
        summary: 'The runtime settings (superusers)',
        tags,
        querystring: NoQuery,
        response: { 200: Settings },
      },
    },
    async (req) => settings.get(await viewerOf(req, auth)),
  );
  app.patch(
    '/api/settings',
    {
      preValidation,
      schema: {
        summary:
          'Change settings, section by section; unknown or invalid values are a 400 per field (superusers)',
        tags,
        querystring: NoQuery,
        body: SettingsPatch,
        response: { 200: Settings },
      },
    },
    async (req) => {
      const body = await readBody(req);
      const viewer = await viewerOf(req, auth);
      const saved = await settings.update(body, viewer);
      // after the update, not in its transaction: the update tells the other nodes at once
      // (NOTIFY), and they must read the committed row. The secrets of the patch are redacted.
      await audit.append({
        action: 'settings.update',
        data: { sections: Object.keys(body).sort(), patch: body },
      });
      return saved;
    },
  );
  app.post(
    '/api/settings/test/email',
    {
      preValidation,
      schema: {
        summary: 'Send a test email with the current settings (superusers)',
        tags,
        querystring: NoQuery,
        body: Type.Object({ email: Type.Optional(Type.String()) }),
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const body = await readBody(req);
      await settings.testEmail(body.email, await viewerOf(req, auth));
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/settings/test/s3',
    {
      preValidation,
      schema: {
        summary: 'Write and delete a test object in the record-file or backups S3 bucket (superusers)',
        tags,
        querystring: NoQuery,
        body: Type.Object({
          filesystem: Type.Optional(Type.String({ description: '"storage" or "backups".' })),
        }),
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const body = await readBody(req);
      await settings.testS3(body.filesystem, await viewerOf(req, auth));
      return reply.status(204).send();
    },
  );
}
