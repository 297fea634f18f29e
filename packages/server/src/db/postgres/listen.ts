import pg from 'pg';
import { quoteIdent } from '../ident.ts';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * The PostgreSQL channel of a bus channel: `forgebase_<name>`, suffixed with the schema
 * when the app works in its own schema (several apps may share one PostgreSQL database).
 * `changes` gives `forgebase_changes[_<schema>]`, the name older nodes listen on.
 */
export function pgChannel(name: string, schema: string | undefined): string {
  return schema ? `forgebase_${name}_${schema}`.slice(0, 63) : `forgebase_${name}`.slice(0, 63);
}

/**
 * LISTENs on `channel` with a dedicated client (never a pooled one: a pooled client would
 * drop the LISTEN when it is handed out); each notification's payload goes to
 * `onMessage`. When the connection drops it reconnects with backoff, listens again and
 * calls `onReconnect` so the caller catches up from durable state.
 */
export async function listenChannel(
  connection: pg.ClientConfig,
  channel: string,
  onMessage: (payload: string) => void,
  onReconnect: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const c = new pg.Client(connection);
    c.on('notification', (msg) => {
      if (msg.channel === channel) onMessage(msg.payload ?? '');
    });
    c.on('error', () => reconnect(c));
    c.on('end', () => reconnect(c));
    await c.connect();
    await c.query(`LISTEN ${quoteIdent(channel)}`);
    if (stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    retryMs = RETRY_MIN_MS;
  }

  function reconnect(lost: pg.Client): void {
    if (stopped || client !== lost) return;
    client = undefined;
    lost.end().catch(() => undefined);
    schedule();
  }

  function schedule(): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(onReconnect, () => {
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        schedule();
      });
    }, retryMs);
    timer.unref();
  }

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
}
