/**
 * The JavaScript that runs inside every QuickJS context before the user's module: the
 * `@forgebase/server/functions` shim (the same definition shape as functions/define.ts) and
 * the in-sandbox `ctx`, whose capabilities all go through one host function, `hostCall`.
 *
 * Nothing but strings crosses the boundary: `hostCall(method, argsJson)` answers a promise of
 * a JSON envelope (`{ok, value}` or `{ok: false, error}`), and `invoke` reports its outcome
 * the same way through `done(envelopeJson)`. The host never hands the sandbox an object of its
 * own, so there is no host prototype chain to climb.
 */

/** Evaluated as a global script; its value is `(hostCall) => ({ exportsOf, invoke })`. */
export const PRELUDE_SOURCE = `(function (hostCall) {
  'use strict';
  const DEF = Symbol.for('forgebase.function');
  const names = new WeakMap();
  const isDef = (v) => typeof v === 'object' && v !== null && v[DEF] === true;

  class ApiError extends Error {
    constructor(status, message, data = {}) {
      super(message);
      this.name = 'ApiError';
      this.status = status;
      this.data = data;
    }
    toJSON() { return { status: this.status, message: this.message, data: this.data }; }
  }
  class BadRequestError extends ApiError {
    constructor(message = 'Something went wrong while processing your request.', data = {}) { super(400, message, data); }
  }
  class UnauthorizedError extends ApiError {
    constructor(message = 'Missing or invalid authentication.', data = {}) { super(401, message, data); }
  }
  class ForbiddenError extends ApiError {
    constructor(message = 'You are not allowed to perform this request.', data = {}) { super(403, message, data); }
  }
  class NotFoundError extends ApiError {
    constructor(message = "The requested resource wasn't found.", data = {}) { super(404, message, data); }
  }
  class TooManyRequestsError extends ApiError {
    constructor(message = 'Too Many Requests.', data = {}) { super(429, message, data); }
  }
  class ValidationError extends BadRequestError {}

  function define(kind, input, extra) {
    const opts = typeof input === 'function' ? { handler: input } : input;
    if (!opts || typeof opts.handler !== 'function')
      throw new TypeError(kind + '(): expected a handler function or { handler, args? }');
    const def = { [DEF]: true, kind, handler: opts.handler };
    if (opts.args !== undefined) def.args = opts.args;
    if (opts.isolated) def.isolated = true;
    return Object.assign(def, extra);
  }
  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  const shim = Object.freeze({
    query: (input) => define('query', input, {}),
    mutation: (input) => define('mutation', input, {}),
    action: (input) => define('action', input, {}),
    route(method, path, input) {
      const m = String(method).toUpperCase();
      if (!METHODS.includes(m)) throw new TypeError('route(): method must be one of ' + METHODS.join(', '));
      if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('route(): the path must start with "/"');
      return define('route', input, { method: m, path });
    },
    hook: (collection, event, input) => define('hook', input, { collection, event }),
    isFunctionDefinition: isDef,
    FUNCTION_DEF: DEF,
    ApiError, BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, TooManyRequestsError, ValidationError,
    /** Called by the footer of every module: remembers "module/export" for ctx.run(definition). */
    nameExports(module, ns) {
      for (const key of Object.keys(ns)) if (isDef(ns[key]) && !names.has(ns[key])) names.set(ns[key], module + '/' + key);
    },
  });
  Object.defineProperty(globalThis, '__forgebase_shim__', { value: shim });

  // Every ctx is bound to its call: once that call is over, its ctx is refused by the host.
  const caller = (id) => ({
    call(method, args) {
      return hostCall(id, method, JSON.stringify(args)).then((text) => {
        const r = JSON.parse(text);
        if (r.ok) return r.value;
        const e = r.error;
        throw typeof e.status === 'number' ? new ApiError(e.status, e.message, e.data) : new Error(e.message);
      });
    },
    // logs answer nothing: the host takes them synchronously, no promise is left pending
    send(method, args) { hostCall(id, method, JSON.stringify(args)); },
  });
  // JSON turns a trailing undefined into null; the host's optional parameters want it absent
  const trimmed = (a) => { let n = a.length; while (n > 0 && a[n - 1] === undefined) n--; return a.slice(0, n); };
  const logArgs = (m, d) => (d === undefined ? [String(m)] : [String(m), d]);
  function records(io, prefix, name) {
    if (typeof name !== 'string') throw new TypeError('records(name): the collection name must be a string');
    const op = (o) => (...a) => io.call(prefix + o, [name, ...trimmed(a)]);
    return Object.freeze({
      list: op('list'), getOne: op('getOne'), getFirst: op('getFirst'),
      create: op('create'), update: op('update'), delete: op('delete'),
    });
  }
  function response(r) {
    const headers = r.headers || {};
    return Object.freeze({
      status: r.status,
      ok: r.status >= 200 && r.status < 300,
      headers: Object.freeze({ get: (n) => headers[String(n).toLowerCase()] ?? null, entries: () => Object.entries(headers) }),
      text: async () => r.body,
      json: async () => JSON.parse(r.body),
    });
  }
  function fnName(fn) {
    if (typeof fn === 'string') return fn;
    const name = isDef(fn) ? names.get(fn) : undefined;
    if (!name) throw new TypeError('ctx.run(): pass a function a module exports, or its "module/export" name');
    return name;
  }
  function makeCtx(io, input, system) {
    const log = Object.freeze({
      info: (m, d) => io.send('log.info', logArgs(m, d)),
      warn: (m, d) => io.send('log.warn', logArgs(m, d)),
      error: (m, d) => io.send('log.error', logArgs(m, d)),
    });
    return Object.freeze({
      auth: input.auth ?? null,
      env: Object.freeze({ ...(input.env ?? {}) }),
      records: (name) => records(io, system ? 'system.records.' : 'records.', name),
      asSystem: () => makeCtx(io, input, true),
      run: async (fn, args) => io.call('run', trimmed([fnName(fn), args])),
      log,
      fetch: async (url, init) => response(await io.call('fetch', [String(url), init ?? {}])),
      mail: Object.freeze({ send: (message) => io.call('mail.send', [message]) }),
      get storage() { throw new Error('ctx.storage is not available to isolated functions'); },
    });
  }
  function errorOf(e) {
    if (e !== null && typeof e === 'object' && typeof e.status === 'number')
      return { status: e.status, message: String(e.message ?? ''), data: e.data ?? {} };
    if (e instanceof Error) return { name: e.name, message: e.message, stack: String(e.stack).split('\\n').slice(0, 20).join('\\n') };
    return { message: String(e) };
  }
  function exportsOf(ns) {
    const out = [];
    for (const name of Object.keys(ns)) {
      const d = ns[name];
      if (!isDef(d)) continue;
      out.push({ name, kind: d.kind, args: d.args, method: d.method, path: d.path, collection: d.collection, event: d.event });
    }
    return JSON.stringify(out);
  }
  let current = null; // the io of the call running now, for console.*
  async function run(io, ns, name, input) {
    const def = ns[name];
    if (!isDef(def)) throw new TypeError('the module has no function export "' + name + '"');
    const arg = def.kind === 'route' ? (input.request ?? input.args) : input.args;
    const result = await def.handler(makeCtx(io, input, false), arg);
    const out = def.kind === 'hook' ? arg : result;
    return JSON.stringify({ ok: true, value: out === undefined ? null : out });
  }
  function invoke(id, ns, name, inputJson, done) {
    const io = caller(id);
    current = io;
    run(io, ns, name, JSON.parse(inputJson)).then(done, (e) => done(JSON.stringify({ ok: false, error: errorOf(e) })));
  }
  const line = (a) => a.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
  const console = Object.freeze({
    log: (...a) => current?.send('log.info', [line(a)]),
    info: (...a) => current?.send('log.info', [line(a)]),
    warn: (...a) => current?.send('log.warn', [line(a)]),
    error: (...a) => current?.send('log.error', [line(a)]),
  });
  Object.defineProperty(globalThis, 'console', { value: console });

  // Freeze the intrinsics (an SES-style lockdown, shallow: each global, its prototype chain
  // and its .prototype) before user code runs. A VM serves many calls in turn, and a
  // polluted Object.prototype (say from merging a caller's JSON) must not reach the next.
  // "this.name = ..." in an Error subclass, or "Foo.prototype.toString = ...", must still
  // work: those inherited data properties become accessors whose setter defines an own
  // property on the object assigned to (SES's "override mistake" taming).
  function tame(proto) {
    for (const key of Reflect.ownKeys(proto)) {
      const d = Reflect.getOwnPropertyDescriptor(proto, key);
      if (!d || !('value' in d) || !d.configurable) continue;
      const value = d.value;
      Reflect.defineProperty(proto, key, {
        get() { return value; },
        set(v) {
          if (this === proto) throw new TypeError('Cannot assign to read only property ' + String(key));
          Reflect.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
        },
        enumerable: d.enumerable,
        configurable: false,
      });
    }
  }
  const errors = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError];
  if (typeof InternalError === 'function') errors.push(InternalError);
  for (const p of [Object.prototype, Function.prototype, Array.prototype, ...errors.map((e) => e.prototype)]) tame(p);
  function harden(o) {
    while ((typeof o === 'object' || typeof o === 'function') && o !== null && !Object.isFrozen(o)) {
      Object.freeze(o);
      const p = typeof o === 'function' ? o.prototype : undefined;
      if (p) harden(p);
      o = Reflect.getPrototypeOf(o);
    }
  }
  for (const key of Reflect.ownKeys(globalThis)) {
    const d = Reflect.getOwnPropertyDescriptor(globalThis, key);
    if (key !== 'globalThis' && d && 'value' in d) harden(d.value);
  }
  const hidden = [
    function* () {}, async function () {}, async function* () {}, (function* () {})(), (async function* () {})(),
    (function* () {}).constructor, (async function () {}).constructor, (async function* () {}).constructor,
    [][Symbol.iterator](), new Map().entries(), new Set().values(), ''[Symbol.iterator](), 'a'.matchAll(/a/g),
    Reflect.getPrototypeOf(Int8Array),
  ];
  for (const o of hidden) harden(o);
  Object.freeze(globalThis);
  return { exportsOf, invoke };
})`;

/** The module `@forgebase/server/functions` resolves to inside the sandbox. */
export const SHIM_SOURCE = `const s = globalThis.__forgebase_shim__;
export const { query, mutation, action, route, hook, isFunctionDefinition, FUNCTION_DEF, ApiError,
  BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, TooManyRequestsError, ValidationError } = s;
export const __nameExports = s.nameExports;
`;

/** The specifier of the shim. */
export const SHIM_SPECIFIER = '@forgebase/server/functions';

/**
 * Appended to every user module: tells the shim which "module/export" each definition is,
 * so `ctx.run(definition)` can name it to the host. A module may import itself.
 */
export function moduleFooter(specifier: string, moduleName: string): string {
  const s = JSON.stringify(specifier);
  return `\nimport * as __fb_self__ from ${s};\nimport { __nameExports as __fb_name__ } from '${SHIM_SPECIFIER}';\n__fb_name__(${JSON.stringify(moduleName)}, __fb_self__);\n`;
}
