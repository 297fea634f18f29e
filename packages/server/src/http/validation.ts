import type { FastifyInstance, FastifySchemaCompiler, SafePromiseLike } from 'fastify';
import type { TSchema } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';
import type { Validator } from 'typebox/schema';
import type { ErrorData, FieldError } from '../errors/api-error.ts';
import { errors, FieldCode, fieldError, fields } from '../errors/codes.ts';

// matches PocketBase: a form that fails validation answers this message with the per-field
// errors (apis/record_auth_with_password.go: form.validate → BadRequestError)
const INVALID = 'An error occurred while validating the submitted data.';

type SchemaCompiler = typeof import('typebox/schema');

// TypeBox's compiler is ~235 modules: loaded by the first request that needs it, not on
// the way to the first response. Not in the background after listen either: a long
// synchronous stretch of module loading can hold up requests in flight (a body's last bytes
// wait behind it while its timeout fires)
let schemaCompiler: SchemaCompiler | undefined;
let loadingCompiler: Promise<SchemaCompiler> | undefined;

/** True once TypeBox's schema compiler has loaded (validators then check synchronously). */
export const schemaCompilerLoaded = (): boolean => schemaCompiler !== undefined;

/** Loads TypeBox's schema compiler once; resolves when validators can be compiled. */
export function loadSchemaCompiler(): Promise<SchemaCompiler> {
  loadingCompiler ??= import('typebox/schema').then((m) => {
    schemaCompiler = m;
    return m;
  });
  return loadingCompiler;
}

/**
 * Validates requests with the routes' TypeBox schemas, compiled by TypeBox
 * (`typebox/schema`: the JSON Schema compiler without the type engine, ~150 modules fewer to
 * load at start than `typebox/compile`) instead of Fastify's default Ajv: Ajv coerces and strips values and
 * answers its own error shape, where PocketBase's clients expect `{status, message, data}`
 * with a `{code, message}` per field. Nothing is coerced or removed: a handler sees what
 * was sent, checked. Response schemas only document the answer: it is written with
 * `JSON.stringify`, as without schemas (records are open objects and `fields` reshapes them).
 * The first request that needs the compiler waits for it to load (Fastify takes a promise
 * from a validator: it resolves to pass, rejects with the error to answer).
 */
export function registerValidation(app: FastifyInstance): void {
  const cache = new WeakMap<object, Validator>();
  const compiled = (compiler: SchemaCompiler, schema: TSchema): Validator => {
    let v = cache.get(schema);
    if (!v) {
      v = compiler.Compile(schema);
      cache.set(schema, v);
    }
    return v;
  };
  const compiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
    const part = httpPart ?? 'body';
    // compiled on first use: most routes of a server never see a request
    let v: Validator | undefined;
    const check = (validator: Validator, data: unknown) =>
      validator.Check(data)
        ? { value: data }
        : { error: validationError(validator.Errors(data)[1], data, part) };
    const emptyIsValid = acceptsEmptyObject(schema);
    return (data: unknown) => {
      // no parsed body (none sent, multipart read by the handler, a streamed upload):
      // the handler reads it and the service checks its values, as for form fields
      if (httpPart === 'body' && (data === null || isFormBody(data))) return { value: data };
      // most requests send no query string: no need to compile anything for it
      if (emptyIsValid && isEmptyObject(data)) return { value: data };
      if (!v && schemaCompiler) v = compiled(schemaCompiler, schema);
      if (v) return check(v, data);
      return loadSchemaCompiler().then((loaded) => {
        v ??= compiled(loaded, schema);
        const result = check(v, data);
        if (result.error) throw result.error;
        return true;
      }) as unknown as SafePromiseLike<true>;
    };
  };
  app.setValidatorCompiler(compiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** True when `{}` passes the schema: an object schema with nothing that demands a property. */
function acceptsEmptyObject(schema: TSchema): boolean {
  const s = schema as Record<string, unknown>;
  if (s.type !== 'object') return false;
  if (Array.isArray(s.required) && s.required.length > 0) return false;
  return !['minProperties', 'anyOf', 'allOf', 'oneOf', 'not', 'if', 'dependentRequired'].some((k) => k in s);
}

function isEmptyObject(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  for (const _ in data) return false;
  return Object.getOwnPropertySymbols(data).length === 0;
}

/** Form fields are text, whatever the schema's types: the service reads them (see body.ts). */
const FORM = Symbol('form body');

/** Marks an object parsed from a urlencoded form (its values are all strings). */
export function markFormBody<T extends object>(body: T): T {
  Object.defineProperty(body, FORM, { value: true });
  return body;
}

function isFormBody(data: unknown): boolean {
  return typeof data === 'object' && data !== null && FORM in data;
}

/**
 * A 400 in PocketBase's shape from TypeBox's errors: one `{code, message}` per field (the
 * first found), nested by path (`data.subscriptions.0`). A body that is not an object at all
 * is PocketBase's "failed to read" error.
 */
export function validationError(list: TLocalizedValidationError[], data: unknown, part: string) {
  const out: ErrorData = {};
  for (const e of list) {
    const path = e.instancePath.split('/').slice(1).map(unescapePointer);
    if (e.keyword === 'required') {
      for (const name of (e.params as { requiredProperties: string[] }).requiredProperties)
        put(out, [...path, name], fields.required());
      continue;
    }
    if (path.length === 0) {
      if (part === 'body') return errors.badRequest('Failed to read the submitted data.');
      continue;
    }
    put(out, path, fieldErrorOf(e, valueAt(data, path), part));
  }
  return errors.invalid(INVALID, out);
}

function put(out: ErrorData, path: string[], err: FieldError): void {
  let node = out;
  for (const key of path.slice(0, -1)) {
    const next = node[key] ?? {};
    if ('code' in next && typeof next.code === 'string') return; // the parent already failed
    node[key] = next;
    node = next as ErrorData;
  }
  node[path.at(-1)!] ??= err;
}

const unescapePointer = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

function valueAt(data: unknown, path: string[]): unknown {
  let v = data;
  for (const key of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

const TYPE_MESSAGES: Record<string, FieldError> = {
  integer: fieldError(FieldCode.invalidInt, 'Must be an integer.'),
  number: fieldError(FieldCode.notANumber, 'Must be a number.'),
  boolean: fields.notBool(),
  string: fields.invalidValue('Must be a string.'),
  array: fields.invalidValue('Must be a list.'),
  object: fields.invalidValue('Must be an object.'),
};

/** One TypeBox failure as the catalog's field error, worded as PocketBase words it. */
function fieldErrorOf(e: TLocalizedValidationError, value: unknown, part: string): FieldError {
  const limit = (e.params as { limit?: number }).limit ?? 0;
  switch (e.keyword) {
    case 'type': {
      // a query parameter sent twice arrives as a list
      if (part === 'querystring' && Array.isArray(value)) return fields.invalidValue('Must be given once.');
      const type = [(e.params as { type: string | string[] }).type].flat()[0] ?? '';
      return TYPE_MESSAGES[type] ?? fields.invalidValue();
    }
    case 'minLength':
    case 'minItems':
      return limit <= 1
        ? fields.required()
        : fieldError(FieldCode.lengthOutOfRange, `The length must be no less than ${limit}.`, { min: limit });
    case 'maxLength':
    case 'maxItems':
      return fields.tooLong(limit, { max: limit });
    case 'minimum':
      return fields.atLeast(limit);
    case 'maximum':
      return fields.atMost(limit);
    case 'enum':
    case 'const':
    case 'anyOf':
      return fields.notInList();
    case 'pattern':
      return fieldError(FieldCode.matchInvalid, 'Must be in a valid format.');
    case 'format':
      return fieldError(FieldCode.invalidFormat, 'Must be in a valid format.');
    default:
      return fields.invalidValue();
  }
}

const argsValidators = new WeakMap<object, Validator>();

/**
 * Checks a value against a JSON schema the way route bodies are checked (server functions'
 * args): resolves when it passes, rejects with the same 400 and per-field errors.
 */
export async function checkArgs(schema: unknown, value: unknown): Promise<void> {
  const compiler = schemaCompiler ?? (await loadSchemaCompiler());
  let v = argsValidators.get(schema as object);
  if (!v) {
    v = compiler.Compile(schema as TSchema);
    argsValidators.set(schema as object, v);
  }
  if (!v.Check(value)) throw validationError(v.Errors(value)[1], value, 'body');
}
