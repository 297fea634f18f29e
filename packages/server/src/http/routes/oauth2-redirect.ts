import type { FastifyReply, FastifyRequest } from 'fastify';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { mediaBody, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';

/** The realtime topic the SDK's one-call OAuth2 sign-in listens on (PocketBase's). */
export const OAUTH2_TOPIC = '@oauth2';

const SUCCESS = 'Auth completed. You can close this window and go back to the app.';
const FAILURE = 'Failed to authenticate. You can close this window and go back to the app to try again.';

const RedirectFields = {
  state: Type.Optional(Type.String({ description: 'The realtime client id the SDK sent as `state`.' })),
  code: Type.Optional(Type.String({ description: "The provider's authorization code." })),
  error: Type.Optional(Type.String({ description: "The provider's error, if any." })),
};
// providers add their own parameters (scope, iss, session_state, Apple's user…): all allowed
const RedirectQuery = Type.Object(RedirectFields, { additionalProperties: true });
const RedirectForm = Type.Object(RedirectFields, { additionalProperties: true });

const answers = {
  200: {
    description: 'A small page saying the window may be closed (success or failure).',
    ...mediaBody('text/html'),
  },
};

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * PocketBase's `/api/oauth2-redirect` (GET, and POST for providers that answer with
 * `response_mode=form_post`): the redirect URL of the SDK's one-call
 * `authWithOAuth2({provider})`. The SDK subscribes its realtime client to `@oauth2` and
 * sends that client's id as `state`; this route hands `{state, code, error}` to that client
 * (once, and only to a client that connected from the same address), and answers with a
 * page saying the window may be closed. The SDK then finishes with auth-with-oauth2.
 * With PostgreSQL the realtime connection may be held by another node: it gets the message
 * over the bus (LISTEN/NOTIFY) and acknowledges it.
 */
export function oauth2RedirectRoutes(app: RouteApp, { realtime }: HttpDeps): void {
  async function handle(req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) {
    const state = text(data.state);
    const code = text(data.code);
    const error = text(data.error);
    const message = { state, code, ...(error ? { error } : {}) };
    const sent =
      state !== '' && (await realtime.sendOnceAnywhere(state, OAUTH2_TOPIC, message, req.clientIp));
    if (!sent || error !== '' || code === '') return reply.type('text/plain; charset=utf-8').send(FAILURE);
    return reply.type('text/html; charset=utf-8').send(SUCCESS);
  }

  const schema = {
    summary: 'OAuth2 redirect for the realtime (one-call) sign-in',
    tags: ['auth'],
    response: answers,
  };

  app.get('/api/oauth2-redirect', { schema: { ...schema, querystring: RedirectQuery } }, async (req, reply) =>
    handle(req, reply, req.query as Record<string, unknown>),
  );

  app.post(
    '/api/oauth2-redirect',
    {
      schema: { ...schema, description: 'The form_post variant.', querystring: NoQuery, body: RedirectForm },
    },
    async (req, reply) => {
      let body: Record<string, unknown> = {};
      try {
        body = await readBody(req);
      } catch {
        // like PocketBase: an unreadable body is a failed sign-in page, not an error
      }
      return handle(req, reply, body);
    },
  );
}
