import type TypeBox from 'typebox';

/**
 * The TypeBox builders the route schemas use, with TypeBox's own signatures (so `Static`
 * infers handler input as with `typebox`), built here as the plain JSON Schema objects
 * TypeBox makes. Why not `import Type from 'typebox'`: its index loads ~370 modules at start
 * (its whole type engine) for what is, at run time, a dozen object literals; the server's
 * cold start doubled with it. Validation still compiles with TypeBox (`typebox/schema`, in
 * `http/validation.ts`); `test/http/route-type.test.ts` checks each builder against TypeBox.
 */
type TB = typeof TypeBox;
type Schema = Record<string, unknown>;

const OPTIONAL = '~optional';
const hidden = <T extends object>(target: T, key: string, value: unknown): T =>
  Object.defineProperty(target, key, { value, enumerable: false, configurable: true, writable: true });
const kinded = (kind: string, schema: Schema): Schema => hidden(schema, '~kind', kind);
const isOptional = (s: unknown): boolean => (s as Schema)[OPTIONAL] === true;
const requiredOf = (props: Record<string, unknown>): string[] =>
  Object.keys(props).filter((k) => !isOptional(props[k]));

function object(properties: Record<string, unknown>, options: Schema = {}): Schema {
  const required = requiredOf(properties);
  return kinded('Object', {
    type: 'object',
    ...(required.length ? { required } : {}),
    properties,
    ...options,
  });
}

function optional(schema: Schema): Schema {
  const copy = kinded(String(schema['~kind'] ?? 'Unknown'), { ...schema });
  return hidden(copy, OPTIONAL, true);
}

function withoutRequired(schema: Schema, properties: Record<string, unknown>): Schema {
  const { required: _dropped, properties: _old, ...rest } = schema;
  const required = requiredOf(properties);
  return kinded('Object', {
    type: 'object',
    ...(required.length ? { required } : {}),
    properties,
    ...Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'type')),
  });
}

export const Type = {
  String: ((options: Schema = {}) =>
    kinded('String', { type: 'string', ...options })) as unknown as TB['String'],
  Integer: ((options: Schema = {}) =>
    kinded('Integer', { type: 'integer', ...options })) as unknown as TB['Integer'],
  Number: ((options: Schema = {}) =>
    kinded('Number', { type: 'number', ...options })) as unknown as TB['Number'],
  Boolean: ((options: Schema = {}) =>
    kinded('Boolean', { type: 'boolean', ...options })) as unknown as TB['Boolean'],
  Null: ((options: Schema = {}) => kinded('Null', { type: 'null', ...options })) as unknown as TB['Null'],
  Unknown: ((options: Schema = {}) => kinded('Unknown', { ...options })) as unknown as TB['Unknown'],
  Literal: ((value: string | number | boolean, options: Schema = {}) =>
    kinded('Literal', { type: typeof value, const: value, ...options })) as unknown as TB['Literal'],
  Array: ((items: Schema, options: Schema = {}) =>
    kinded('Array', { type: 'array', items, ...options })) as unknown as TB['Array'],
  Object: object as unknown as TB['Object'],
  Optional: optional as unknown as TB['Optional'],
  /** Only string keys are used: any property name, each value of `value`'s schema. */
  Record: ((_key: Schema, value: Schema, options: Schema = {}) =>
    kinded('Record', {
      type: 'object',
      patternProperties: { '^.*$': value },
      ...options,
    })) as unknown as TB['Record'],
  Union: ((anyOf: Schema[], options: Schema = {}) =>
    kinded('Union', { anyOf, ...options })) as unknown as TB['Union'],
  Intersect: ((allOf: Schema[], options: Schema = {}) =>
    kinded('Intersect', { allOf, ...options })) as unknown as TB['Intersect'],
  Partial: ((schema: Schema) => {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    return withoutRequired(
      schema,
      Object.fromEntries(Object.entries(props).map(([k, v]) => [k, isOptional(v) ? v : optional(v)])),
    );
  }) as unknown as TB['Partial'],
  Omit: ((schema: Schema, keys: string[]) => {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    return withoutRequired(
      schema,
      Object.fromEntries(Object.entries(props).filter(([k]) => !keys.includes(k))),
    );
  }) as unknown as TB['Omit'],
  Unsafe: ((schema: Schema) => kinded('Unsafe', { ...schema })) as unknown as TB['Unsafe'],
};
