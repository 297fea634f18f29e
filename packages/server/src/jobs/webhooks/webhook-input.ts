import type { ErrorData } from '../../errors/api-error.ts';
import { errors, FieldCode, fieldError, fields } from '../../errors/codes.ts';
import type { RuleDeps } from '../../rules/rule-condition.ts';
import type { Collection } from '../../schema/collection.ts';
import { literalHostProblem } from './address-guard.ts';
import { filterProblem, WEBHOOK_EVENTS, type WebhookEvent } from './webhook-matcher.ts';

/** What a create or update may set (PATCH: every key optional). */
export interface WebhookInput {
  collection?: unknown;
  events?: unknown;
  url?: unknown;
  secret?: unknown;
  filter?: unknown;
  enabled?: unknown;
}

/** The checked values of a WebhookInput (only the keys it gave). */
export interface CheckedInput {
  collection?: Collection;
  events?: WebhookEvent[];
  url?: string;
  secret?: string;
  filter?: string;
  enabled?: boolean;
}

const MAX_URL = 2000;
const MIN_SECRET = 16;
const MAX_SECRET = 512;
const MAX_FILTER = 3500;

/** What the checks need: the collections, and whether private receivers are allowed. */
export interface InputDeps {
  rules: RuleDeps;
  allowPrivate: boolean;
}

/**
 * Checks a webhook's input and names every bad field at once (a 400 with `data`):
 * `collection` must exist, `events` be a non-empty subset of create/update/delete, `url`
 * an http(s) URL (not a private address unless config allows it), `secret` 16 to 512
 * characters, `filter` a rule that compiles on the collection. `required` lists the keys
 * a create must give. `current` is the collection a PATCH's filter is checked on when the
 * PATCH keeps it.
 */
export function checkWebhookInput(
  deps: InputDeps,
  input: WebhookInput,
  required: readonly (keyof WebhookInput)[],
  current?: Collection,
): CheckedInput {
  const data: ErrorData = {};
  const out: CheckedInput = {};
  for (const key of required) if (input[key] === undefined) data[key] = fields.required();
  if (input.collection !== undefined) {
    const c = typeof input.collection === 'string' ? deps.rules.collection(input.collection) : undefined;
    if (!c) data.collection = fieldError(FieldCode.missingCollection, 'Missing or invalid collection.');
    else if (c.type === 'view')
      data.collection = fields.invalidValue('A view collection has no changes to deliver.');
    else out.collection = c;
  }
  if (input.events !== undefined) {
    const list = Array.isArray(input.events) ? input.events : [];
    const bad = list.some((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e));
    if (!list.length || bad) data.events = fields.notInList('Must be one or more of create, update, delete.');
    else out.events = WEBHOOK_EVENTS.filter((e) => list.includes(e));
  }
  if (input.url !== undefined) {
    const problem = urlProblem(input.url, deps.allowPrivate);
    if (problem) data.url = fieldError(FieldCode.isUrl, problem);
    else out.url = String(input.url);
  }
  if (input.secret !== undefined) {
    const s = input.secret;
    if (typeof s !== 'string' || s.length < MIN_SECRET || s.length > MAX_SECRET)
      data.secret = fieldError(
        FieldCode.lengthOutOfRange,
        `Must be between ${MIN_SECRET} and ${MAX_SECRET} characters.`,
        { min: MIN_SECRET, max: MAX_SECRET },
      );
    else out.secret = s;
  }
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') data.enabled = fields.notBool();
    else out.enabled = input.enabled;
  }
  if (input.filter !== undefined) {
    const target = out.collection ?? current;
    const f = input.filter;
    if (typeof f !== 'string' || f.length > MAX_FILTER)
      data.filter = fieldError(
        FieldCode.invalidFilter,
        `Must be a filter of at most ${MAX_FILTER} characters.`,
      );
    else if (target) {
      const problem = filterProblem(deps.rules, target, f);
      if (problem) data.filter = fieldError(FieldCode.invalidRule, `Invalid filter: ${problem}`);
      else out.filter = f;
    }
  }
  if (Object.keys(data).length) throw errors.invalid('Failed to save the webhook.', data);
  return out;
}

function urlProblem(v: unknown, allowPrivate: boolean): string | undefined {
  if (typeof v !== 'string' || v.length > MAX_URL)
    return `Must be an http or https URL of at most ${MAX_URL} characters.`;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'Must be a valid http or https URL.';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Must be an http or https URL.';
  if (url.username || url.password) return 'Must not carry credentials (use the signature to authenticate).';
  if (!allowPrivate) {
    const problem = literalHostProblem(url);
    if (problem) return `Must not point to a private address: ${problem} (config webhooks_allow_private).`;
  }
  return undefined;
}
