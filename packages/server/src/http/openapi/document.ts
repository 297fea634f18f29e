import type { FastifySchema } from 'fastify';
import type { RouteEntry } from '../route-catalog.ts';
import { ErrorBody } from '../schemas.ts';

type Json = Record<string, unknown>;
type Props = Record<string, Json>;

const STATUS_TEXT: Record<string, string> = {
  101: 'Switching Protocols (WebSocket)',
  200: 'OK',
  201: 'Created',
  204: 'Done, no content',
};

const ERROR = {
  description: 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/** `/api/collections/:c/records/*` → `/api/collections/{c}/records/{objectName}` */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{objectName}');

const asJson = (v: unknown): Json | undefined => (v && typeof v === 'object' ? (v as Json) : undefined);

function propsOf(schema: unknown): { props: Props; required: Set<string> } {
  const s = asJson(schema);
  return {
    props: (asJson(s?.properties) ?? {}) as Props,
    required: new Set(Array.isArray(s?.required) ? (s.required as string[]) : []),
  };
}

/** Path parameters in the URL's order, then the query parameters in the schema's order. */
function parameters(url: string, schema: FastifySchema): Json[] {
  const path = propsOf(schema.params).props;
  const out: Json[] = [...url.matchAll(/:(\w+)|\*$/g)].map((m) => {
    const name = m[1] ?? '*';
    const { description, ...rest } = path[name] ?? { type: 'string' };
    return {
      name: name === '*' ? 'objectName' : name,
      in: 'path',
      required: true,
      schema: rest,
      ...(description ? { description } : {}),
    };
  });
  const query = propsOf(schema.querystring);
  for (const [name, prop] of Object.entries(query.props)) {
    const { description, ...rest } = prop;
    out.push({
      name,
      in: 'query',
      required: query.required.has(name),
      schema: rest,
      ...(description ? { description } : {}),
    });
  }
  return out;
}

/** A response schema as an OpenAPI response: Fastify's per-media-type form, no content, or JSON. */
function response(status: string, schema: unknown): Json {
  const description = STATUS_TEXT[status] ?? 'OK';
  const s = asJson(schema);
  if (s?.content) return { description, content: s.content };
  if (!s || s.type === 'null') return { description };
  return { description, content: { 'application/json': { schema: s } } };
}

function requestBody(body: unknown): Json | undefined {
  const s = asJson(body);
  if (!s) return undefined;
  if (s.content) return { content: s.content };
  const type = s.format === 'binary' ? 'application/octet-stream' : 'application/json';
  return { content: { [type]: { schema: s } } };
}

function operation(route: RouteEntry): Json {
  const { schema } = route;
  const head = {
    summary: schema.summary,
    ...(schema.description ? { description: schema.description } : {}),
    tags: schema.tags,
    ...(schema.forgebase ? { 'x-forgebase': true } : {}),
  };
  if (schema.protocol)
    return {
      ...head,
      'x-protocol': schema.protocol,
      parameters: parameters(route.url, schema),
      responses: {
        default: { description: `${schema.protocol.toUpperCase()} protocol: see the documentation.` },
      },
    };
  const body = requestBody(schema.body);
  const responses = Object.entries(asJson(schema.response) ?? {}).map(([s, r]) => [s, response(s, r)]);
  return {
    ...head,
    parameters: parameters(route.url, schema),
    ...(body ? { requestBody: body } : {}),
    responses: {
      ...Object.fromEntries(responses),
      400: ERROR,
      401: ERROR,
      403: ERROR,
      404: ERROR,
    },
  };
}

/**
 * The OpenAPI 3.1 document served at `/api/docs/openapi.json`, generated from the
 * registered routes: each route's summary, tags and TypeBox schemas (route-schema.ts).
 */
export function openApiDocument(routes: readonly RouteEntry[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
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
    paths,
  };
}

/**
 * The method + path pairs a document describes, in Fastify's form (`/api/collections/:c`),
 * HEAD left out (Fastify adds one to every GET): what the "every route documented" test
 * compares with the registered routes.
 */
export function documentedRoutes(doc: Json): string[] {
  return Object.entries(asJson(doc.paths) ?? {}).flatMap(([path, ops]) =>
    Object.keys(asJson(ops) ?? {})
      .filter((m) => m !== 'head')
      .map((m) => `${m.toUpperCase()} ${path.replace('{objectName}', '*').replace(/\{(\w+)\}/g, ':$1')}`),
  );
}
