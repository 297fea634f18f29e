import type { WebhookInput } from '../../jobs/webhooks/webhook-input.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { listParams, QUERY } from '../query-params.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { pageOf } from '../schemas.ts';
import { Type } from '../type.ts';
import { superuserOnly } from '../viewer.ts';

const tags = ['webhooks'];
const Event = Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]);

const Webhook = Type.Object({
  id: Type.String(),
  collection: Type.String({ description: "The collection's name ('' once it was deleted)." }),
  collectionId: Type.String(),
  events: Type.Array(Event),
  url: Type.String(),
  filter: Type.String({ description: 'A filter in the rule language; empty for every change.' }),
  enabled: Type.Boolean(),
  failures: Type.Integer({ description: 'Deliveries in a row that failed after their last attempt.' }),
  disabledReason: Type.String({ description: "Why it was disabled automatically ('' when it was not)." }),
  created: Type.String(),
  updated: Type.String(),
});

const Delivery = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  eventId: Type.String({ description: 'The `webhook-id` header: the same for retries and redeliveries.' }),
  seq: Type.Integer({ description: "The change's seq in the change log." }),
  event: Event,
  recordId: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttempt: Type.String({ description: "When the next attempt is due; '' once it ended." }),
  statusCode: Type.Integer({ description: "The last attempt's HTTP status (0: no answer)." }),
  durationMs: Type.Integer(),
  response: Type.String({ description: "The start of the last answer's body (at most 1 KiB)." }),
  error: Type.String(),
  redeliveryOf: Type.String({ description: "The delivery this one sends again ('' for none)." }),
  created: Type.String(),
  updated: Type.String(),
});

const Fields = {
  collection: Type.String({ description: 'The collection (id or name); not a view.' }),
  events: Type.Array(Type.String(), {
    description: 'Which changes to deliver: `create`, `update`, `delete`.',
  }),
  url: Type.String({
    description: 'An http(s) URL; private addresses only with config `webhooks_allow_private`.',
  }),
  secret: Type.String({
    description:
      'The signing secret (16 to 512 characters; `whsec_…` as Standard Webhooks). Generated when not given.',
  }),
  filter: Type.String({ description: 'Rule-language filter on the record, e.g. `status = "paid"`.' }),
  enabled: Type.Boolean(),
};

const IdParam = Type.Object({ id: Type.String({ description: 'The webhook id.' }) });

/**
 * Webhooks on the change log (superusers; docs/webhooks.md): CRUD, the delivery log and
 * redelivery. The secret is answered once, by create. 401 without auth, 403 for others.
 */
export function webhookRoutes(app: RouteApp, { webhooks, auth, audit }: HttpDeps): void {
  const preValidation = superuserOnly(auth);
  const entryData = (w: {
    collection: string;
    events: string[];
    url: string;
    filter: string;
    enabled: boolean;
  }) => ({
    collection: w.collection,
    events: w.events,
    url: w.url,
    filter: w.filter,
    enabled: w.enabled,
  });
  app.post(
    '/api/webhooks',
    {
      preValidation,
      schema: {
        summary: 'Create a webhook',
        description:
          'The answer carries `secret`, shown this once; it is sealed at rest and never shown again.',
        tags,
        forgebase: true,
        querystring: NoQuery,
        body: Type.Object({
          collection: Fields.collection,
          events: Fields.events,
          url: Fields.url,
          secret: Type.Optional(Fields.secret),
          filter: Type.Optional(Fields.filter),
          enabled: Type.Optional(Fields.enabled),
        }),
        response: { 200: Type.Intersect([Webhook, Type.Object({ secret: Type.String() })]) },
      },
    },
    async (req) => {
      const body = (await readBody(req)) as WebhookInput;
      return audit.recorded(
        () => webhooks.create(body),
        (w) => ({ action: 'webhook.create', target: w.id, data: entryData(w) }),
      );
    },
  );
  app.get(
    '/api/webhooks',
    {
      preValidation,
      schema: {
        summary: 'List the webhooks',
        tags,
        forgebase: true,
        querystring: NoQuery,
        response: { 200: Type.Array(Webhook) },
      },
    },
    async () => webhooks.list(),
  );
  app.get(
    '/api/webhooks/:id',
    {
      preValidation,
      schema: {
        summary: 'View a webhook',
        tags,
        forgebase: true,
        params: IdParam,
        querystring: NoQuery,
        response: { 200: Webhook },
      },
    },
    async (req) => webhooks.get(req.params.id),
  );
  app.patch(
    '/api/webhooks/:id',
    {
      preValidation,
      schema: {
        summary: 'Update a webhook',
        description:
          '`enabled: true` turns an automatically disabled webhook on again and resets its failures.',
        tags,
        forgebase: true,
        params: IdParam,
        querystring: NoQuery,
        body: Type.Object({
          collection: Type.Optional(Fields.collection),
          events: Type.Optional(Fields.events),
          url: Type.Optional(Fields.url),
          secret: Type.Optional(Fields.secret),
          filter: Type.Optional(Fields.filter),
          enabled: Type.Optional(Fields.enabled),
        }),
        response: { 200: Webhook },
      },
    },
    async (req) => {
      const body = (await readBody(req)) as WebhookInput;
      return audit.recorded(
        () => webhooks.update(req.params.id, body),
        (w) => ({
          action: 'webhook.update',
          target: w.id,
          data: { ...entryData(w), ...(body.secret !== undefined ? { secretChanged: true } : {}) },
        }),
      );
    },
  );
  app.delete(
    '/api/webhooks/:id',
    {
      preValidation,
      schema: {
        summary: 'Delete a webhook and its delivery log',
        tags,
        forgebase: true,
        params: IdParam,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await audit.recorded(
        () => webhooks.remove(req.params.id),
        () => ({ action: 'webhook.delete', target: req.params.id }),
      );
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/webhooks/:id/deliveries',
    {
      preValidation,
      schema: {
        summary: "List a webhook's deliveries, newest change first",
        tags,
        forgebase: true,
        params: IdParam,
        querystring: Type.Object({
          page: QUERY.page,
          perPage: QUERY.perPage,
          status: Type.Optional(
            Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')], {
              description: 'Only deliveries of this status.',
            }),
          ),
        }),
        response: { 200: pageOf(Delivery) },
      },
    },
    async (req) => {
      const { page, perPage } = listParams({ page: req.query.page, perPage: req.query.perPage });
      return webhooks.deliveries(req.params.id, { page, perPage, status: req.query.status });
    },
  );
  app.post(
    '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      preValidation,
      schema: {
        summary: 'Send a delivery again',
        description:
          'A new delivery with the same body and `webhook-id`, linked to the original by `redeliveryOf`.',
        tags,
        forgebase: true,
        params: Type.Object({ id: Type.String(), deliveryId: Type.String() }),
        querystring: NoQuery,
        response: { 200: Delivery },
      },
    },
    async (req) => webhooks.redeliver(req.params.id, req.params.deliveryId),
  );
}
