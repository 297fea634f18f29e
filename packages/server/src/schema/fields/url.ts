import { fieldError } from '../../errors/api-error.ts';
import { commonOptions, domainAllowed, type FieldType, REQUIRED, toText } from '../field.ts';
import { validateDomainLists } from './email.ts';

export const urlField: FieldType = {
  type: 'url',
  defaults: () => ({ ...commonOptions(), exceptDomains: null, onlyDomains: null, required: false }),
  column: () => ({ kind: 'text' }),
  zero: () => '',
  normalize: (raw) => toText(raw).trim(),
  validateOptions: validateDomainLists,
  validate(value, f) {
    const v = value as string;
    if (v === '') return f.required ? REQUIRED : undefined;
    let host: string;
    try {
      const u = new URL(v);
      if (!/^[a-z][a-z0-9+.-]*:$/i.test(u.protocol) || !u.hostname) throw new Error('no host');
      host = u.hostname;
    } catch {
      return fieldError('validation_invalid_url', 'Must be a valid url.');
    }
    if (!domainAllowed(host, f))
      return fieldError('validation_url_domain_not_allowed', 'Url domain is not allowed.');
    return undefined;
  },
  encode: (v) => v,
  decode: (raw) => (raw === null || raw === undefined ? '' : String(raw)),
};
