import assert from 'node:assert/strict';
import { type Client, createClient, LibsqlError } from '@libsql/client';
import type { TestApp } from './app.ts';

/**
 * A suite's tenant databases seen through the official `@libsql/client`: `client(db)` opens
 * one (superuser token unless given), `createDb` creates a database, `close` closes every client.
 */
export function databaseKit(app: () => TestApp) {
  const clients: Client[] = [];
  return {
    client(db: string, authToken = app().superuserToken, intMode?: 'bigint'): Client {
      const c = createClient({
        url: `${app().url}/api/databases/${db}/`,
        authToken,
        ...(intMode ? { intMode } : {}),
      });
      clients.push(c);
      return c;
    },
    async createDb(name: string, limits: Record<string, number> = {}): Promise<Record<string, unknown>> {
      const res = await app().request('POST', '/api/databases', {
        token: 'superuser',
        body: { name, ...limits },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    },
    close(): void {
      for (const c of clients.splice(0)) c.close();
    },
  };
}

/** The LibsqlError `fn` fails with (fails the test when it resolves or throws something else). */
export async function libsqlFailure(fn: () => Promise<unknown>): Promise<LibsqlError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof LibsqlError, `not a LibsqlError: ${e}`);
    return e;
  }
  assert.fail('expected a LibsqlError');
}
