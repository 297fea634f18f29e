import type { Collection } from '../schema/collection.ts';
import { isSecret } from '../schema/field-registry.ts';
import type { RecordValues } from '../schema/record-values.ts';

/** A mail template of an auth collection option (`verificationTemplate`, `otp.emailTemplate`, …). */
export interface MailTemplate {
  subject: string;
  body: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** A template option's subject and body, or empty ones when the option is malformed. */
export function templateOf(option: unknown): MailTemplate {
  const o = option && typeof option === 'object' ? (option as Record<string, unknown>) : {};
  return { subject: String(o.subject ?? ''), body: String(o.body ?? '') };
}

/**
 * Fills a template like PocketBase: `{APP_NAME}`, `{APP_URL}`, the given placeholders
 * (`{TOKEN}`, `{OTP}`, `{OTP_ID}`) and `{RECORD:field}` for every visible field of the
 * record (HTML-escaped; hidden fields such as password and tokenKey never appear).
 */
export function renderTemplate(
  template: MailTemplate,
  app: { appName: string; appUrl: string },
  c: Collection,
  record: RecordValues,
  placeholders: Record<string, string> = {},
): MailTemplate {
  const values = new Map<string, string>(Object.entries(placeholders));
  values.set('{APP_NAME}', values.get('{APP_NAME}') ?? app.appName);
  values.set('{APP_URL}', values.get('{APP_URL}') ?? app.appUrl.replace(/\/+$/, ''));
  for (const f of c.fields) {
    if (f.hidden || isSecret(f)) continue;
    const v = record[f.name];
    const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    values.set(`{RECORD:${f.name}}`, escapeHtml(text));
  }
  const fill = (s: string) => s.replace(/\{[A-Z_]+(?::[\w]+)?\}/g, (m) => values.get(m) ?? m);
  return { subject: fill(template.subject), body: fill(template.body) };
}
