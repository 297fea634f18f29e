const isFile = (v: unknown) => typeof Blob !== 'undefined' && v instanceof Blob;

/**
 * A record body as it goes out: a plain object stays JSON unless it holds files (`Blob`s or
 * `File`s, alone or in arrays), then it becomes `FormData` with the other fields in
 * `@jsonPayload` (PocketBase's multipart convention). `FormData` passes as it is.
 */
export function recordBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || (typeof FormData !== 'undefined' && body instanceof FormData))
    return body;
  const entries = Object.entries(body as Record<string, unknown>);
  const hasFile = entries.some(([, v]) => isFile(v) || (Array.isArray(v) && v.some(isFile)));
  if (!hasFile) return body;
  const form = new FormData();
  const json: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const files = Array.isArray(v) ? v.filter(isFile) : isFile(v) ? [v] : [];
    if (!files.length) json[k] = v;
    for (const f of files) form.append(k, f as Blob);
  }
  form.append('@jsonPayload', JSON.stringify(json));
  return form;
}
