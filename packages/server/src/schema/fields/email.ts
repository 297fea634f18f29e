import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { commonOptions, domainAllowed, type FieldModel, type FieldType, toText } from '../field.ts';

// a pragmatic form of the HTML5 email grammar
const EMAIL_RE =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** True for a syntactically valid email address. */
export function isEmail(v: string): boolean {
  return v.length <= 254 && EMAIL_RE.test(v);
}

export function validateDomainLists(f: FieldModel) {
  const only = (f.onlyDomains as unknown[] | null) ?? [];
  const except = (f.exceptDomains as unknown[] | null) ?? [];
  if (only.length && except.length) {
    return { exceptDomains: fieldError(FieldCode.empty, 'Must be blank.') };
  }
  return undefined;
}

/** What email and url fields share: text with only/except domain lists. */
export const domainTextField = {
  defaults: () => ({ ...commonOptions(), exceptDomains: null, onlyDomains: null, required: false }),
  column: () => ({ kind: 'text' as const }),
  zero: () => '',
  normalize: (raw: unknown) => toText(raw).trim(),
  validateOptions: validateDomainLists,
  encode: (v: unknown) => v,
  decode: (raw: unknown) => (raw === null || raw === undefined ? '' : String(raw)),
} satisfies Partial<FieldType>;

export const emailField: FieldType = {
  ...domainTextField,
  type: 'email',
  validate(value, f) {
    const v = value as string;
    if (v === '') return f.required ? fields.required() : undefined;
    if (!isEmail(v)) return fields.notEmail();
    if (!domainAllowed(v.slice(v.lastIndexOf('@') + 1), f)) {
      return fieldError(FieldCode.emailDomainNotAllowed, 'Email domain is not allowed.');
    }
    return undefined;
  },
};
