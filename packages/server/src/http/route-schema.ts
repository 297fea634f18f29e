import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyTypeProvider, RawServerDefault } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { Type } from './type.ts';

declare module 'fastify' {
  /**
   * What a route declares beside its TypeBox schemas, for the OpenAPI document
   * (`http/openapi/document.ts` reads it from the registered routes).
   */
  interface FastifySchema {
    summary?: string;
    description?: string;
    /** The one tag the operation is listed under. */
    tags?: string[];
    /** ForgeBase's own endpoint (the rest follow PocketBase's API): `x-forgebase` in the document. */
    forgebase?: boolean;
    /** Another protocol served over this route (`'s3'`): no JSON shapes, see its documentation. */
    protocol?: string;
  }
}

/**
 * Types a route's `req.params`, `req.query` and `req.body` from its TypeBox schemas
 * (Fastify's type provider mechanism, for TypeBox 1.x). Replies stay untyped: response
 * schemas document the answer, they do not filter it (see `http/validation.ts`).
 */
export interface TypeBoxProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: unknown;
}

/** The Fastify instance route files register on: schemas type the handlers' input. */
export type RouteApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxProvider
>;

/** A success without a body (204, or 201/200 for header-only answers). */
export const NoContent = Type.Null({ description: 'No content.' });

/** A route that reads nothing from its query string (unknown parameters are ignored, as PocketBase does). */
export const NoQuery = Type.Object({});

/** A body or answer of raw bytes of the given media type, in Fastify's per-content-type form. */
export function mediaBody(mediaType: string, description?: string) {
  return {
    content: {
      [mediaType]: {
        schema: Type.Unsafe<unknown>({
          type: 'string',
          ...(mediaType === 'text/event-stream' ? {} : { format: 'binary' }),
          ...(description ? { description } : {}),
        }),
      },
    },
  };
}

/** A request body that is the raw bytes of a stream (uploads): never parsed, never validated. */
export const RawBody = Type.Unsafe<unknown>({
  type: 'string',
  format: 'binary',
  description: 'The raw bytes, streamed.',
});

/** The path parameter of a collection (name or id). */
export const CollectionParam = Type.String({ description: 'Collection name or id.' });

/** The `*` path parameter of object routes: an object name, which may contain slashes. */
export const ObjectNameParam = Type.String({ description: "The object's name; it may contain slashes." });
