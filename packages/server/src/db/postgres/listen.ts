import pg from 'pg';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * The NOTIFY channel of the change log: `forgebase_changes`, suffixed with the schema when
 * the app works in its own schema (several apps may share one PostgreSQL database).
 */
export function changesChannel(schema: string | undefined): string {
  return topicChannel('changes', schema);
}

/** The NOTIFY channel of a topic (`forgebase_<topic>`, suffixed with the app's schema like changesChannel). */
export function topicChannel(topic: string, schema: string | undefined): string {
  return schema ? `forgebase_${topic}_${schema}`.slice(0, 63) : `forgebase_${topic}`;
}

/**
 * LISTENs on `channel` with a dedicated client (never a pooled one: a pooled client would
 * drop the LISTEN when it is handed out). When the connection drops it reconnects with
 * backoff, listens again and calls `wake` (without a payload) so the caller catches up.
 */
export async function listenChannel(
  connection: pg.ClientConfig,
  channel: string,
  wake: (payload?: string) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const c = new pg.Client(connection);
    c.on('notification', (msg) => {
      if (msg.channel === channel) wake(msg.payload);
    });
    c.on('error', () => reconnect(c));
    c.on('end', () => reconnect(c));
    await c.connect();
    await c.query(`LISTEN "${channel}"`);
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
      connect().then(
        () => wake(),
        () => {
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          schedule();
        },
      );
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
