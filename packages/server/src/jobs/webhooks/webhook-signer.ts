import { createHmac, randomBytes } from 'node:crypto';

/** How a webhook secret is shown to users: `whsec_` and the base64 of its key bytes (Standard Webhooks). */
export const SECRET_PREFIX = 'whsec_';

/** Key bytes of a generated secret (the spec asks for 24 to 64). */
const SECRET_BYTES = 32;

/** A new random secret in the Standard Webhooks form (`whsec_<base64 of 32 bytes>`). */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/**
 * The HMAC key of a secret: the base64 after `whsec_` decoded, as the Standard Webhooks
 * libraries read it; a secret of another form (a user's own passphrase) is used as its
 * UTF-8 bytes.
 */
export function secretKey(secret: string): Buffer {
  if (secret.startsWith(SECRET_PREFIX)) return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return Buffer.from(secret, 'utf8');
}

/** The three Standard Webhooks headers of one attempt. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs one attempt the Standard Webhooks way
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, the timestamp in whole
 * seconds. `id` stays the same across retries and redeliveries (the receiver's idempotency key).
 */
export function signWebhook(secret: string, id: string, timestampMs: number, body: string): SignedHeaders {
  const timestamp = String(Math.floor(timestampMs / 1000));
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };
}
