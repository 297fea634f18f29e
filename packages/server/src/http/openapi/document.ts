import type { Json, Operation, Paths } from './operation.ts';
import { API_KEY_PATHS } from './paths-api-keys.ts';
import { AUTH_PATHS } from './paths-auth.ts';
import { CORE_PATHS } from './paths-core.ts';
import { FILE_PATHS } from './paths-files.ts';
import { REALTIME_PATHS } from './paths-realtime.ts';
import { S3_PATHS } from './paths-s3.ts';
import { SETTINGS_PATHS } from './paths-settings.ts';
import { SIGN_IN_PATHS } from './paths-sign-in.ts';
import { STORAGE_PATHS } from './paths-storage.ts';
import { TUS_PATHS } from './paths-storage-tus.ts';
import { ErrorBody } from './schemas.ts';

/** Every endpoint, keyed by OpenAPI path then method. */
const PATHS: Paths = {
  ...CORE_PATHS,
  ...AUTH_PATHS,
  ...SIGN_IN_PATHS,
  ...API_KEY_PATHS,
  ...FILE_PATHS,
  ...REALTIME_PATHS,
  ...STORAGE_PATHS,
  ...S3_PATHS,
  ...TUS_PATHS,
  ...SETTINGS_PATHS,
};

const PATH_PARAMS: Record<string, string> = {
  c: 'Collection name or id.',
  objectName: "The object's name; it may contain slashes.",
  uploadId: 'The upload id (the last segment of its Location).',
};

function operation(path: string, op: Operation): Json {
  const parameters: Json[] = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: PATH_PARAMS[m[1]!],
  }));
  for (const [name, description] of Object.entries(op.query ?? {}))
    parameters.push({ name, in: 'query', required: false, schema: { type: 'string' }, description });
  const error = {
    description: 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  if (op.external)
    return {
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      ...(op.fb ? { 'x-forgebase': true } : {}),
      'x-protocol': op.external,
      parameters,
      responses: {
        default: { description: `${op.external.toUpperCase()} protocol: see the documentation.` },
      },
    };
  return {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.fb ? { 'x-forgebase': true } : {}),
    parameters,
    ...(op.body ? { requestBody: { content: { 'application/json': { schema: op.body } } } } : {}),
    responses: {
      ...(op.websocket
        ? { 101: { description: 'Switching Protocols (WebSocket)' } }
        : op.ok === 204
          ? { [op.okStatus ?? 204]: { description: op.okStatus === 201 ? 'Created' : 'Done, no content' } }
          : {
              200: { description: 'OK', content: { [op.okType ?? 'application/json']: { schema: op.ok } } },
            }),
      400: error,
      401: error,
      403: error,
      404: error,
    },
  };
}

/**
 * The method + path pairs the document describes as HTTP routes, in Fastify's form
 * (`/api/collections/:c`); WebSocket endpoints are upgrades, not routes, and are left out.
 */
export function documentedRoutes(): string[] {
  return Object.entries(PATHS).flatMap(([path, ops]) =>
    Object.entries(ops)
      // HEAD routes are left out on both sides (Fastify adds one to every GET)
      .filter(([m, op]) => !op.websocket && m !== 'head')
      .map(([m]) => `${m.toUpperCase()} ${path.replace('{objectName}', '*').replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

/** The OpenAPI 3.1 document served at `/api/docs/openapi.json`. */
export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ForgeBase',
      version,
      description:
        "ForgeBase's HTTP API. Records, collections, auth and batch follow PocketBase's API; operations marked `x-forgebase` are ForgeBase's own.",
    },
    components: {
      schemas: { Error: ErrorBody },
      securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'Authorization' } },
    },
    security: [{}, { token: [] }],
    paths: Object.fromEntries(
      Object.entries(PATHS).map(([path, ops]) => [
        path,
        Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, operation(path, op)])),
      ]),
    ),
  };
}
