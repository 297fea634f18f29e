import { request as httpRequest } from 'node:http';

/** One part of a hand-built multipart body: a text field, or a file when `filename` is set. */
export interface StreamPart {
  name: string;
  filename?: string;
  content: Buffer | string;
}

export interface StreamedResponse {
  status: number;
  body: any;
  /** Body bytes the client had written when the response headers arrived. */
  sentBeforeResponse: number;
}

const BOUNDARY = 'forgebase-test-boundary';

function encode(parts: StreamPart[]): Buffer[] {
  const out: Buffer[] = [];
  for (const p of parts) {
    const disposition = p.filename
      ? `form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: application/octet-stream`
      : `form-data; name="${p.name}"`;
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`));
    // file contents go in 64 kB writes, so a server can answer between them
    const content = Buffer.from(p.content);
    for (let i = 0; i < content.length; i += 65536) out.push(content.subarray(i, i + 65536));
    out.push(Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return out;
}

/**
 * Sends a multipart body chunked (no Content-Length, as a streaming client does), and
 * stops writing once the response arrives. With `holdAfter`, the client writes that many
 * bytes and then waits (up to `timeoutMs`) for the server to answer before sending the
 * rest: a server that refuses early answers; one that waits for the whole body never does
 * and the promise rejects.
 */
export function streamMultipart(
  url: string,
  method: string,
  path: string,
  parts: StreamPart[],
  opts: { headers?: Record<string, string>; holdAfter?: number; timeoutMs?: number } = {},
): Promise<StreamedResponse> {
  const chunks = encode(parts);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no response after ${sent} body bytes within ${opts.timeoutMs ?? 10000} ms`));
    }, opts.timeoutMs ?? 10000);
    const req = httpRequest(`${url}${path}`, {
      method,
      headers: {
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'transfer-encoding': 'chunked',
        ...opts.headers,
      },
    });
    req.on('error', (e) => {
      if (!answered) {
        clearTimeout(timer);
        reject(e);
      }
    });
    req.on('response', (res) => {
      answered = true;
      const sentBeforeResponse = sent;
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => body.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        const text = Buffer.concat(body).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, sentBeforeResponse });
      });
    });
    const pump = async () => {
      for (const chunk of chunks) {
        if (answered) return;
        if (opts.holdAfter !== undefined && sent >= opts.holdAfter) return;
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      if (!answered) req.end();
    };
    pump().catch(reject);
  });
}
