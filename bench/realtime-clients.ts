// Realtime bench clients: many SSE (PocketBase protocol) or WebSocket connections, each
// subscribed to one topic, recording change-to-client latency from the record's `sentAt`.
import { Agent, request } from 'node:http';
import WebSocket from 'ws';

/** One open subscriber connection. */
export interface Subscriber {
  close(): void;
}

/** Shared by every client of a run: where latencies go. */
export interface Sink {
  latencies: number[];
  received: number;
}

const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

function record(sink: Sink, data: string): void {
  const sentAt = Number((JSON.parse(data) as { record?: { sentAt?: number } }).record?.sentAt);
  sink.received++;
  if (sentAt > 0) sink.latencies.push(Date.now() - sentAt);
}

/** Opens a PocketBase-style SSE stream, then sets its one subscription. */
export function openSse(url: string, topic: string, sink: Sink): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/realtime`, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      let subscribed = false;
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (event === 'PB_CONNECT' && !subscribed) {
            subscribed = true;
            const clientId = (JSON.parse(data) as { clientId: string }).clientId;
            fetch(`${url}/api/realtime`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ clientId, subscriptions: [topic] }),
            })
              .then((r) =>
                r.status === 204
                  ? resolve({ close: () => req.destroy() })
                  : reject(new Error(`subscribe ${r.status}`)),
              )
              .catch(reject);
          } else if (event === topic) record(sink, data);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and subscribes to one topic (resolves on the ack). */
export function openWs(url: string, topic: string, sink: Sink): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/ws`, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', id: '1', topic })));
    ws.on('message', (raw) => {
      const text = raw.toString();
      const frame = JSON.parse(text) as { type: string; id?: string };
      if (frame.type === 'ack') resolve({ close: () => ws.terminate() });
      else if (frame.type === 'error') reject(new Error(text));
      else if (frame.type === 'event') record(sink, text);
    });
  });
}

/** Opens `count` subscribers with at most `parallel` handshakes in flight. */
export async function openMany(
  count: number,
  parallel: number,
  open: (i: number) => Promise<Subscriber>,
): Promise<Subscriber[]> {
  const out: Subscriber[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}
