import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Dialect, startTestApp, type TestApp } from '../../../server/test/support/app.ts';
import type { ClientOptions } from '../../src/client.ts';
import { ForgeBase } from '../../src/index.ts';
import type { Schema, UntypedSchema } from '../../src/types.ts';

export {
  DIALECTS,
  type Dialect,
  SUPERUSER_EMAIL,
  SUPERUSER_PASSWORD,
  startTestApp,
  type TestApp,
} from '../../../server/test/support/app.ts';

/** A client of the test server `url`, signed in with `token` when given. */
export function client<S extends Schema = UntypedSchema>(url: string, token?: string, o: ClientOptions = {}) {
  const fb = new ForgeBase<S>(url, o);
  if (token) fb.authStore.save(token);
  return fb;
}

/** Resolves with the first value pushed, or rejects after `ms` (no sleeps: waits on the event). */
export class Waiter<T> {
  readonly #items: T[] = [];
  readonly #waiting: ((v: T) => void)[] = [];
  push = (v: T): void => {
    const w = this.#waiting.shift();
    if (w) w(v);
    else this.#items.push(v);
  };
  next(ms = 10_000): Promise<T> {
    const v = this.#items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing arrived within ${ms} ms`)), ms);
      this.#waiting.push((x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  }
  /** The values pushed and not taken yet. */
  get pending(): T[] {
    return this.#items;
  }
}

/**
 * A test server with a copy of the fixture functions (`test/types/fixtures/fb_functions`)
 * and a `todos` collection (title, owner, done) with `rules`; `close` stops it and removes
 * the copy.
 */
export async function startTodosApp(
  dialect: Dialect,
  rules: Record<string, string>,
): Promise<{ t: TestApp; close(): Promise<void> }> {
  const fnDir = mkdtempSync(join(import.meta.dirname, '..', 'types', '.out-fn-'));
  cpSync(join(import.meta.dirname, '..', 'types/fixtures/fb_functions'), fnDir, { recursive: true });
  const t = await startTestApp(dialect, { functionsDir: fnDir });
  await t.createCollection({
    name: 'todos',
    type: 'base',
    ...rules,
    fields: [
      { name: 'title', type: 'text' },
      { name: 'owner', type: 'text' },
      { name: 'done', type: 'bool' },
    ],
  });
  return {
    t,
    async close() {
      await t.close();
      rmSync(fnDir, { recursive: true, force: true });
    },
  };
}
