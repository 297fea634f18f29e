import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * A response sent before its request body was read to the end (an early 403 or 413 on an
 * upload) drains the rest of the body: whoever was reading it (a multipart parser, an
 * upload meter) is detached and the bytes are dropped, so the client gets the answer and
 * the keep-alive connection stays usable. Left alone, the paused, half-read body wedges
 * the connection. Once the answer is out, a client that keeps sending more than `limit`
 * bytes has its connection closed.
 */
export function registerUnreadBodyDrain(app: FastifyInstance, limit: number): void {
  const draining = new WeakMap<IncomingMessage, { answered: boolean }>();
  app.addHook('onSend', (req, _reply, payload, done) => {
    const raw = req.raw;
    if (!raw.complete && !raw.readableEnded && !draining.has(raw)) {
      const state = { answered: false };
      draining.set(raw, state);
      raw.unpipe();
      let afterAnswer = 0;
      raw.on('data', (chunk: Buffer) => {
        if (!state.answered) return;
        afterAnswer += chunk.length;
        if (afterAnswer > limit) raw.socket?.destroy();
      });
      raw.resume();
    }
    done(null, payload);
  });
  app.addHook('onResponse', (req, _reply, done) => {
    const state = draining.get(req.raw);
    if (state) state.answered = true;
    done();
  });
}
