import type { Transport } from '../http/transport.ts';

/** One Server-Sent Event: its name (`event:`) and data. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Reads Server-Sent Events from a fetch body (works where `EventSource` does not exist,
 * e.g. Node, and sends our headers). Calls `onMessage` per event until the stream ends.
 */
export async function readEvents(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => void) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let event = 'message';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      if (line === '') {
        if (data.length) onMessage({ event, data: data.join('\n') });
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }
}

/**
 * PocketBase's SSE realtime (`/api/realtime`): connect, learn the client id from
 * `PB_CONNECT`, then `setTopics` posts the whole topic list. Used as the fallback where
 * WebSockets are unavailable and for the OAuth2 popup flow's `@oauth2` topic.
 */
export class SseConnection {
  readonly #transport: Transport;
  readonly #onMessage: (m: SseMessage) => void;
  readonly #abort = new AbortController();
  #clientId = '';

  constructor(transport: Transport, onMessage: (m: SseMessage) => void) {
    this.#transport = transport;
    this.#onMessage = onMessage;
  }

  /** The server's id for this connection (the `state` of the OAuth2 popup flow). */
  get clientId(): string {
    return this.#clientId;
  }

  /** Opens the stream; resolves with the client id once `PB_CONNECT` arrives, and `ended` when the stream stops. */
  connect(): Promise<{ clientId: string; ended: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const res = this.#transport.send<Response>('/api/realtime', {
        raw: true,
        anonymous: true,
        signal: this.#abort.signal,
        headers: { accept: 'text/event-stream' },
      });
      res.then((r) => {
        if (!r.body) return reject(new Error('The realtime stream has no body.'));
        const ended = readEvents(r.body, (m) => {
          if (m.event === 'PB_CONNECT' && !this.#clientId) {
            this.#clientId = (JSON.parse(m.data) as { clientId: string }).clientId;
            resolve({ clientId: this.#clientId, ended: ended.catch(() => {}) });
          } else this.#onMessage(m);
        });
        ended.then(
          () => reject(new Error('The realtime stream ended before it connected.')),
          (e: unknown) => reject(e),
        );
      }, reject);
    });
  }

  /** Replaces this client's topics (`POST /api/realtime`, with the current auth). */
  async setTopics(topics: string[]): Promise<void> {
    await this.#transport.send('/api/realtime', {
      method: 'POST',
      body: { clientId: this.#clientId, subscriptions: topics },
    });
  }

  /** Closes the stream. */
  close(): void {
    this.#abort.abort();
  }
}
