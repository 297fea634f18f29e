import Type from 'typebox';

/**
 * Shapes the API answers with, as JSON Schema (TypeBox), for the OpenAPI document at
 * `/api/docs/openapi.json`. Records are open objects: their fields come from the schema.
 */
export const ErrorBody = Type.Object(
  {
    status: Type.Integer({ description: 'The HTTP status, repeated.' }),
    message: Type.String({ description: 'What went wrong, for a person.' }),
    data: Type.Record(
      Type.String(),
      Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
      { description: 'Per-field problems, keyed by field name (empty when none).' },
    ),
  },
  { description: "PocketBase's error shape, used by every endpoint." },
);

export const RecordBody = Type.Object(
  {
    id: Type.String(),
    collectionId: Type.String(),
    collectionName: Type.String(),
    expand: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true, description: "A record: system fields plus the collection's fields." },
);

export const ListBody = Type.Object({
  page: Type.Integer(),
  perPage: Type.Integer(),
  totalItems: Type.Integer({ description: '-1 with skipTotal.' }),
  totalPages: Type.Integer({ description: '-1 with skipTotal.' }),
  items: Type.Array(RecordBody),
});

export const AggregateBody = Type.Object(
  {
    items: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
      description:
        'One row per group, ordered by the group values (at most 1000): the groupBy fields, then one key per aggregate — `count`, `count_<f>`, `sum_<f>`, `avg_<f>`, `min_<f>`, `max_<f>`.',
    }),
  },
  { description: "ForgeBase's aggregates over the records a list with the same filter would return." },
);

export const CollectionBody = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    type: Type.Union([Type.Literal('base'), Type.Literal('auth'), Type.Literal('view')]),
    system: Type.Boolean(),
    fields: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    indexes: Type.Array(Type.String()),
    listRule: Type.Union([Type.String(), Type.Null()]),
    viewRule: Type.Union([Type.String(), Type.Null()]),
    createRule: Type.Union([Type.String(), Type.Null()]),
    updateRule: Type.Union([Type.String(), Type.Null()]),
    deleteRule: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true, description: "A collection, in PocketBase's JSON form." },
);

export const CollectionListBody = Type.Object({
  page: Type.Integer(),
  perPage: Type.Integer(),
  totalItems: Type.Integer(),
  totalPages: Type.Integer(),
  items: Type.Array(CollectionBody),
});

export const BatchRequestBody = Type.Object({
  requests: Type.Array(
    Type.Object({
      method: Type.Union([
        Type.Literal('POST'),
        Type.Literal('PUT'),
        Type.Literal('PATCH'),
        Type.Literal('DELETE'),
      ]),
      url: Type.String({
        description: '/api/collections/{c}/records, or …/records/{id} for PATCH and DELETE',
      }),
      body: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
});

export const BatchResponseBody = Type.Array(Type.Object({ status: Type.Integer(), body: Type.Unknown() }), {
  description: 'One result per request, in order.',
});

export const AuthBody = Type.Object({
  token: Type.String({
    description: 'A signed JWT; send it as `Authorization: <token>` or `Bearer <token>`.',
  }),
  record: RecordBody,
});

export const HealthBody = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
});
