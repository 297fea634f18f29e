import assert from 'node:assert/strict';
import { test } from 'node:test';
import TypeBox from 'typebox';
import { Type } from '../../src/http/type.ts';

// the route schemas are built by http/type.ts; each builder must make what TypeBox makes
const same = (ours: unknown, theirs: unknown, what: string) =>
  assert.deepEqual(JSON.parse(JSON.stringify(ours)), JSON.parse(JSON.stringify(theirs)), what);

test('each builder makes the JSON Schema TypeBox makes', () => {
  const build = (T: typeof Type) => {
    const item = T.Object({ id: T.String(), n: T.Optional(T.Integer({ minimum: 1 })), on: T.Boolean() });
    return {
      string: T.String({ description: 'd' }),
      integer: T.Integer({ minimum: 0, maximum: 9 }),
      number: T.Number({ minimum: 0 }),
      boolean: T.Boolean(),
      null: T.Null({ description: 'n' }),
      unknown: T.Unknown(),
      literal: T.Literal('base'),
      array: T.Array(T.String(), { maxItems: 3 }),
      object: item,
      closed: T.Object({ a: T.String() }, { additionalProperties: false, description: 'x' }),
      empty: T.Object({}),
      record: T.Record(T.String(), T.Unknown(), { description: 'r' }),
      union: T.Union([T.String(), T.Null()]),
      intersect: T.Intersect([item, T.Object({ s: T.String() })]),
      partial: T.Partial(item),
      omit: T.Omit(item, ['id']),
      partialOmit: T.Partial(T.Omit(item, ['id'])),
      optionalInObject: T.Object({ p: T.Optional(T.Partial(item)) }),
      unsafe: T.Unsafe<unknown>({ type: 'string', format: 'binary' }),
    };
  };
  const ours = build(Type);
  const theirs = build(TypeBox as unknown as typeof Type);
  for (const key of Object.keys(theirs) as (keyof typeof theirs)[]) same(ours[key], theirs[key], key);
});

test('optional marks stay off the JSON and decide `required`', () => {
  const s = Type.Optional(Type.String());
  assert.deepEqual(Object.keys(s), ['type']);
  assert.deepEqual(Type.Object({ a: s, b: Type.String() }).required, ['b']);
  assert.equal(Type.Object({ a: s }).required, undefined);
});
