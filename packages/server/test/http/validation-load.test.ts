import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { registerErrorHandling } from '../../src/http/error-handler.ts';
import { Type } from '../../src/http/type.ts';
import { registerValidation, schemaCompilerLoaded } from '../../src/http/validation.ts';

// TypeBox's compiler loads when the first request needs it (a request without a query
// string does not); that request waits for it and gets the same answer as every later one
// (this file runs in its own process, so nothing has loaded the compiler before)
test('a request validated before the schema compiler has loaded gets the same answers', async () => {
  const app = Fastify();
  registerValidation(app);
  registerErrorHandling(app);
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 2 }), n: Type.Optional(Type.Integer()) }),
      },
    },
    async (req) => ({ got: req.body }),
  );
  app.get(
    '/plain',
    { schema: { querystring: Type.Object({ page: Type.Optional(Type.Integer()) }) } },
    async () => ({ ok: true }),
  );
  await app.ready();
  try {
    const plain = await app.inject({ method: 'GET', url: '/plain' });
    assert.deepEqual([plain.statusCode, plain.json()], [200, { ok: true }]);
    assert.equal(schemaCompilerLoaded(), false, 'an empty query string needs no compiler');
    const send = (body: unknown) => app.inject({ method: 'POST', url: '/things', payload: body as object });
    const first = await send({ name: 'x', n: 1.5 });
    assert.equal(schemaCompilerLoaded(), true);
    const expected = {
      status: 400,
      message: 'An error occurred while validating the submitted data.',
      data: {
        name: {
          code: 'validation_length_out_of_range',
          message: 'The length must be no less than 2.',
          params: { min: 2 },
        },
        n: { code: 'validation_invalid_int', message: 'Must be an integer.' },
      },
    };
    assert.equal(first.statusCode, 400);
    assert.deepEqual(first.json(), expected);
    const again = await send({ name: 'x', n: 1.5 });
    assert.deepEqual([again.statusCode, again.json()], [400, expected]);
    const badPage = await app.inject({ method: 'GET', url: '/plain?page=x' });
    assert.equal(badPage.statusCode, 400);
    const ok = await send({ name: 'ok', n: 2 });
    assert.deepEqual([ok.statusCode, ok.json()], [200, { got: { name: 'ok', n: 2 } }]);
  } finally {
    await app.close();
  }
});
