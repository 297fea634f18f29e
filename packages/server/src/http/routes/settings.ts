import type { FastifyInstance } from 'fastify';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { requireSuperuser } from '../viewer.ts';

/** PocketBase's settings API (superusers): app name and URL, mail sender, SMTP, test email. */
export function settingsRoutes(app: FastifyInstance, { settings, auth }: HttpDeps): void {
  app.get('/api/settings', async (req) => settings.get(await requireSuperuser(req, auth)));
  app.patch('/api/settings', async (req) =>
    settings.update(await readBody(req), await requireSuperuser(req, auth)),
  );
  app.post('/api/settings/test/email', async (req, reply) => {
    const viewer = await requireSuperuser(req, auth);
    const body = await readBody(req);
    await settings.testEmail(body.email, viewer);
    return reply.status(204).send();
  });
}
