import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { domainAllowed, type FieldType } from '../field.ts';
import { domainTextField } from './email.ts';

export const urlField: FieldType = {
  ...domainTextField,
  type: 'url',
  validate(value, f) {
    const v = value as string;
    if (v === '') return f.required ? fields.required() : undefined;
    let host: string;
    try {
      const u = new URL(v);
      if (!/^[a-z][a-z0-9+.-]*:$/i.test(u.protocol) || !u.hostname) throw new Error('no host');
      host = u.hostname;
    } catch {
      return fieldError(FieldCode.invalidUrl, 'Must be a valid url.');
    }
    if (!domainAllowed(host, f))
      return fieldError(FieldCode.urlDomainNotAllowed, 'Url domain is not allowed.');
    return undefined;
  },
};
