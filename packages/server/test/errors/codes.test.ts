import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ApiError } from '../../src/errors/api-error.ts';
import { ErrorCode, errors, FieldCode, fieldError, fields } from '../../src/errors/codes.ts';

test('field codes are unique PocketBase-style validation_* codes', () => {
  const values = Object.values(FieldCode);
  assert.equal(new Set(values).size, values.length);
  for (const [key, code] of Object.entries(FieldCode)) {
    assert.match(code, /^validation_[a-z_]+$/);
    assert.equal(code, `validation_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`);
  }
});

test('error codes are unique snake_case names', () => {
  const values = Object.values(ErrorCode);
  assert.equal(new Set(values).size, values.length);
  for (const code of values) assert.match(code, /^[a-z]+(_[a-z]+)*$/);
});

test('every factory answers its status with its stable code and a PocketBase body', () => {
  const cases: [ApiError, number, string][] = [
    [errors.badRequest(), 400, ErrorCode.badRequest],
    [errors.invalid('Failed.', { name: fields.required() }), 400, ErrorCode.badRequest],
    [errors.unauthorized(), 401, ErrorCode.unauthorized],
    [errors.forbidden(), 403, ErrorCode.forbidden],
    [errors.notFound(), 404, ErrorCode.notFound],
    [errors.conflict('Taken.', ErrorCode.objectExists), 409, ErrorCode.objectExists],
    [errors.gone('Expired.'), 410, ErrorCode.gone],
    [errors.preconditionFailed('Version.'), 412, ErrorCode.preconditionFailed],
    [errors.payloadTooLarge('Big.'), 413, ErrorCode.payloadTooLarge],
    [errors.unsupportedMediaType('Type.'), 415, ErrorCode.unsupportedMediaType],
    [errors.locked('Busy.'), 423, ErrorCode.locked],
    [errors.tooManyRequests(), 429, ErrorCode.tooManyRequests],
  ];
  for (const [err, status, code] of cases) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    assert.deepEqual(Object.keys(err.toJSON()), ['status', 'message', 'data'], 'the code stays off the wire');
  }
  assert.deepEqual(errors.invalid('Failed.', { name: fields.required() }).toJSON().data, {
    name: { code: 'validation_required', message: 'Cannot be blank.' },
  });
});

test('field factories keep PocketBase messages and params', () => {
  assert.deepEqual(fields.tooLong(255, { max: 255 }), {
    code: 'validation_length_too_long',
    message: 'The length must be no more than 255.',
    params: { max: 255 },
  });
  assert.deepEqual(fields.atLeast(0), {
    code: 'validation_min_greater_equal_than_required',
    message: 'Must be no less than 0.',
  });
  assert.deepEqual(fieldError(FieldCode.isEmail, 'Must be a valid email address.'), fields.notEmail());
});

test('a 400 with field data can carry the code its callers match on', () => {
  const err = errors.invalid(
    'Failed to save the bucket.',
    { name: fields.required() },
    ErrorCode.bucketExists,
  );
  assert.equal(err.status, 400);
  assert.equal(err.code, ErrorCode.bucketExists);
  assert.equal(errors.invalid('Failed.', {}).code, ErrorCode.badRequest);
  assert.deepEqual(Object.keys(err.toJSON()), ['status', 'message', 'data']);
});

test('every folder uses the error catalog', () => {
  // outside errors/ (the catalog itself), codes come from FieldCode and errors from the
  // factories, so no code is spelled twice
  const src = resolve(import.meta.dirname, '../../src');
  const offenders: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || /^errors[\\/]/.test(file)) continue;
    // the sandbox's prelude is JavaScript that runs inside QuickJS, with its own ApiError
    if (/^functions[\\/]sandbox[\\/]prelude\.ts$/.test(file)) continue;
    readFileSync(join(src, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/['"`]validation_|new ApiError\(/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offenders, []);
});
