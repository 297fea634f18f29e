/**
 * Query parameters that are credentials: file and signed-URL tokens, S3 presigned
 * signatures (SigV4 and V2) and session tokens. Lowercase.
 */
const SECRET_PARAMS = new Set([
  'token',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'signature',
  'awsaccesskeyid',
]);

/**
 * A request URL fit for the log: the values of credential query parameters become
 * `[redacted]`, the rest is kept as sent (one linear pass).
 *
 * @example redactUrl('/api/files/c/r/a.png?token=eyJ…&thumb=100x100')
 * // '/api/files/c/r/a.png?token=[redacted]&thumb=100x100'
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url.slice(q + 1).split('&');
  const out = pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    let name: string;
    try {
      name = decodeURIComponent(pair.slice(0, eq).replaceAll('+', ' '));
    } catch {
      name = pair.slice(0, eq);
    }
    return SECRET_PARAMS.has(name.toLowerCase()) ? `${pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${out.join('&')}`;
}
