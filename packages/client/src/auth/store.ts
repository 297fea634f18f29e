import type { RecordModel } from '../types.ts';
import { secondsLeft, tokenClaims } from './token.ts';

/** Where an auth store keeps its state between page loads (text in, text out). */
export interface AuthPersistence {
  load(): string | null | undefined;
  save(value: string): void;
  clear(): void;
}

/** Keeps nothing across reloads: the default outside browsers. */
export function memoryPersistence(): AuthPersistence {
  let value: string | null = null;
  return {
    load: () => value,
    save: (v) => {
      value = v;
    },
    clear: () => {
      value = null;
    },
  };
}

/** `localStorage` under `key` (the default in browsers); memory where there is none. */
export function localStoragePersistence(key = 'forgebase_auth'): AuthPersistence {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (!ls) return memoryPersistence();
  return {
    load: () => ls.getItem(key),
    save: (v) => ls.setItem(key, v),
    clear: () => ls.removeItem(key),
  };
}

/** Cookie attributes for `exportToCookie` (defaults: `Path=/; Secure; HttpOnly; SameSite=Strict`). */
export interface CookieOptions {
  path?: string;
  domain?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
  /** Seconds; the default is the token's remaining life. */
  maxAge?: number;
}

const COOKIE_LIMIT = 4096;

type Listener = (token: string, record: RecordModel | null) => void;

/**
 * The signed-in state of one client: the token and its record, kept through a pluggable
 * persistence, with change listeners and a cookie serializer/parser for server rendering.
 */
export class AuthStore {
  #token = '';
  #record: RecordModel | null = null;
  readonly #persistence: AuthPersistence;
  readonly #listeners = new Set<Listener>();

  constructor(persistence: AuthPersistence = memoryPersistence()) {
    this.#persistence = persistence;
    try {
      const saved = JSON.parse(persistence.load() ?? '{}') as { token?: unknown; record?: unknown };
      if (typeof saved.token === 'string') this.#token = saved.token;
      if (saved.record && typeof saved.record === 'object') this.#record = saved.record as RecordModel;
    } catch {
      persistence.clear();
    }
  }

  /** The auth token ('' when signed out). */
  get token(): string {
    return this.#token;
  }

  /** The signed-in record, as the server answered it at sign-in or refresh. */
  get record(): RecordModel | null {
    return this.#record;
  }

  /** True while a token is held and not expired (the server may still refuse it). */
  get isValid(): boolean {
    return this.#token !== '' && secondsLeft(this.#token) > 0;
  }

  /** True when the record belongs to `_superusers`. */
  get isSuperuser(): boolean {
    const c = tokenClaims(this.#token);
    return this.#record?.collectionName === '_superusers' || c.collectionId === 'pbc_3142635823';
  }

  /** Stores a new sign-in and tells the listeners. */
  save(token: string, record: RecordModel | null = null): void {
    this.#token = token;
    this.#record = record;
    this.#persistence.save(JSON.stringify({ token, record }));
    for (const fn of this.#listeners) fn(token, record);
  }

  /** Signs out locally (the token stays valid on the server until it expires). */
  clear(): void {
    this.#token = '';
    this.#record = null;
    this.#persistence.clear();
    for (const fn of this.#listeners) fn('', null);
  }

  /** Calls `fn` on every change (and at once with `fireNow`); answers the function that stops it. */
  onChange(fn: Listener, fireNow = false): () => void {
    this.#listeners.add(fn);
    if (fireNow) fn(this.#token, this.#record);
    return () => this.#listeners.delete(fn);
  }

  /**
   * A `Set-Cookie` value holding the state, for server-rendered apps.
   *
   * @example res.setHeader('set-cookie', fb.authStore.exportToCookie({ httpOnly: false }))
   */
  exportToCookie(opts: CookieOptions = {}, key = 'fb_auth'): string {
    let value = encodeURIComponent(JSON.stringify({ token: this.#token, record: this.#record }));
    if (value.length > COOKIE_LIMIT - 200 && this.#record) {
      const r = this.#record;
      const slim = {
        id: r.id,
        collectionId: r.collectionId,
        collectionName: r.collectionName,
        email: r.email,
      };
      value = encodeURIComponent(JSON.stringify({ token: this.#token, record: slim }));
    }
    const left = Math.max(0, Math.floor(secondsLeft(this.#token)));
    const parts = [`${key}=${value}`, `Path=${opts.path ?? '/'}`, `Max-Age=${opts.maxAge ?? left}`];
    if (opts.domain) parts.push(`Domain=${opts.domain}`);
    if (opts.secure ?? true) parts.push('Secure');
    if (opts.httpOnly ?? true) parts.push('HttpOnly');
    parts.push(`SameSite=${opts.sameSite ?? 'Strict'}`);
    return parts.join('; ');
  }

  /** Loads the state from a `Cookie` request header written by `exportToCookie` (signed out if absent). */
  loadFromCookie(cookieHeader: string, key = 'fb_auth'): void {
    const pair = cookieHeader
      .split(';')
      .map((p) => p.trim())
      .find((p) => p.startsWith(`${key}=`));
    try {
      const saved = JSON.parse(decodeURIComponent(pair?.slice(key.length + 1) ?? '')) as {
        token?: unknown;
        record?: unknown;
      };
      if (typeof saved.token === 'string' && saved.token) {
        this.save(saved.token, (saved.record as RecordModel) ?? null);
        return;
      }
    } catch {
      // an absent or garbled cookie signs out
    }
    this.clear();
  }
}
