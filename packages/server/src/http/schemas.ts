import type { TSchema } from 'typebox';
import { Type } from './type.ts';

/**
 * Shapes several route files answer with (TypeBox): the error body, records, record lists
 * and sign-ins. Records are open objects: their fields come from the collection.
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

/** PocketBase's list envelope around items of one schema. */
export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    page: Type.Integer(),
    perPage: Type.Integer(),
    totalItems: Type.Integer({ description: '-1 with skipTotal.' }),
    totalPages: Type.Integer({ description: '-1 with skipTotal.' }),
    items: Type.Array(item),
  });
}

export const ListBody = pageOf(RecordBody);

export const AuthBody = Type.Object({
  token: Type.String({
    description: 'A signed JWT; send it as `Authorization: <token>` or `Bearer <token>`.',
  }),
  record: RecordBody,
});
