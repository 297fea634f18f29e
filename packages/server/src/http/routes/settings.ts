import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { superuserOnly, viewerOf } from '../viewer.ts';

const Meta = Type.Object({
  appName: Type.String(),
  appURL: Type.String(),
  senderName: Type.String(),
  senderAddress: Type.String(),
});

const Smtp = Type.Object({
  enabled: Type.Boolean(),
  host: Type.String(),
  port: Type.Integer(),
  username: Type.String(),
  password: Type.String({
    description: 'Write-only: always "" in answers; "" in a PATCH keeps the stored one.',
  }),
  tls: Type.Boolean(),
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

const Settings = Type.Object({ meta: Meta, smtp: Smtp, trustedProxy: TrustedProxy });

/** A PATCH names only what changes; the settings service checks the values. */
const SettingsPatch = Type.Object({
  meta: Type.Optional(Type.Partial(Meta)),
  smtp: Type.Optional(Type.Partial(Smtp)),
  trustedProxy: Type.Optional(Type.Partial(TrustedProxy)),
});

const tags = ['settings'];

/** PocketBase's settings API (superusers): app name and URL, mail sender, SMTP, test email. */
export function settingsRoutes(app: RouteApp, { settings, auth }: HttpDeps): void {
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
          'Change the app name and URL, the mail sender, SMTP or the trusted proxy headers (superusers)',
        tags,
        querystring: NoQuery,
        body: SettingsPatch,
        response: { 200: Settings },
      },
    },
    async (req) => settings.update(await readBody(req), await viewerOf(req, auth)),
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
}
