import type { TestApp, TestResponse } from './app.ts';

/** Sends raw bytes (an object upload) to the test server, like a storage client would. */
export async function sendBytes(
  t: TestApp,
  method: string,
  path: string,
  body: Buffer | string,
  opts: { token?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.contentType) headers['content-type'] = opts.contentType;
  if (opts.token) headers.authorization = opts.token === 'superuser' ? t.superuserToken : opts.token;
  const res = await fetch(t.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Downloads bytes from the test server (status, headers and the raw body). */
export async function getBytes(
  t: TestApp,
  path: string,
  opts: { token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = opts.token === 'superuser' ? t.superuserToken : opts.token;
  const res = await fetch(t.url + path, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
