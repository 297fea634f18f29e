import Type from 'typebox';
import type { Paths } from './operation.ts';

const Scope = Type.Object({
  collection: Type.String({ description: 'Collection name or id, or `*` (never `_superusers`).' }),
  operations: Type.Array(Type.String(), { description: 'list, view, create, update, delete, or `*`.' }),
});

const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Scope),
  expires: Type.String({ description: 'Empty when the key does not expire.' }),
  lastUsed: Type.String(),
  created: Type.String(),
});

/** ForgeBase's API keys (superusers only). */
export const API_KEY_PATHS: Paths = {
  '/api/keys': {
    post: {
      summary: 'Create an API key; its `secret` (fbk_…) is returned only here',
      description:
        'Send the secret as `Authorization: Bearer fbk_…` (or without `Bearer`). The key acts as a superuser on the records of the collections and operations its scopes name, and is refused (403) everywhere else.',
      tag: 'keys',
      fb: true,
      body: Type.Object({
        name: Type.String(),
        scopes: Type.Array(Scope),
        expires: Type.Optional(Type.String({ description: 'A future date; omit for no expiry.' })),
      }),
      ok: Type.Intersect([ApiKey, Type.Object({ secret: Type.String() })]),
    },
    get: {
      summary: 'List API keys (never their secrets)',
      tag: 'keys',
      fb: true,
      ok: Type.Object({ items: Type.Array(ApiKey) }),
    },
  },
  '/api/keys/{id}': {
    delete: { summary: 'Revoke an API key', tag: 'keys', fb: true, ok: 204 },
  },
};
