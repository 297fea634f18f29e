import type { Transport } from './http/transport.ts';

/** A tenant database (docs/databases.md). */
export interface DatabaseInfo {
  name: string;
  created: string;
  size: number;
  node: string;
  maxSizeBytes: number;
  statementTimeoutMs: number;
  maxRows: number;
  idleTransactionMs: number;
}

/** A database token; `token` is present only in the answer that created it. */
export interface DatabaseToken {
  id: string;
  database: string;
  readOnly: boolean;
  expires: string;
  created: string;
  token?: string;
}

/**
 * ForgeBase's tenant databases, managed (superusers or an API key with the databases scope).
 * Run SQL with `@libsql/client` against `url(name)` and a token from `createToken`.
 *
 * @example
 * const { token } = await fb.databases.createToken('shop');
 * const db = createClient({ url: fb.databases.url('shop'), authToken: token }); // @libsql/client
 */
export class DatabaseService {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The libSQL URL of a database (with the trailing slash `@libsql/client` needs). */
  url(name: string): string {
    return this.#t.url(`/api/databases/${encodeURIComponent(name)}/`);
  }

  /** Creates a database (409 when the name is taken). */
  create(
    name: string,
    limits: {
      maxSizeBytes?: number;
      statementTimeoutMs?: number;
      maxRows?: number;
      idleTransactionMs?: number;
    } = {},
  ): Promise<DatabaseInfo> {
    return this.#t.send('/api/databases', { method: 'POST', body: { name, ...limits } });
  }

  /** Every database. */
  async list(): Promise<DatabaseInfo[]> {
    const r = await this.#t.send<DatabaseInfo[] | { items: DatabaseInfo[] }>('/api/databases');
    return Array.isArray(r) ? r : r.items;
  }

  /** One database (404 when none). */
  get(name: string): Promise<DatabaseInfo> {
    return this.#t.send(`/api/databases/${encodeURIComponent(name)}`);
  }

  /** Deletes a database, its backups and tokens. */
  async delete(name: string): Promise<void> {
    await this.#t.send(`/api/databases/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }

  /** A token that opens only this database; shown once. */
  createToken(
    name: string,
    o: { readOnly?: boolean; expiresIn?: number } = {},
  ): Promise<DatabaseToken & { token: string }> {
    return this.#t.send(`/api/databases/${encodeURIComponent(name)}/tokens`, { method: 'POST', body: o });
  }

  /** The database's tokens, without secrets. */
  async listTokens(name: string): Promise<DatabaseToken[]> {
    const r = await this.#t.send<DatabaseToken[] | { items: DatabaseToken[] }>(
      `/api/databases/${encodeURIComponent(name)}/tokens`,
    );
    return Array.isArray(r) ? r : r.items;
  }

  /** Revokes a token at once. */
  async revokeToken(name: string, id: string): Promise<void> {
    await this.#t.send(`/api/databases/${encodeURIComponent(name)}/tokens/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }
}
