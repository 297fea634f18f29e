import { type ErrorData, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../errors/codes.ts';
import { isEmail } from '../schema/fields/email.ts';

/** One field of an auth form: how it must look (PocketBase's ozzo rules for these forms). */
export interface FormField {
  required?: boolean;
  min?: number;
  max?: number;
  email?: boolean;
  /** A further check; returns an error to report for the field. */
  check?: (
    value: string,
  ) => Promise<ReturnType<typeof fieldError> | undefined> | ReturnType<typeof fieldError> | undefined;
}

/**
 * Reads string fields of a form body and validates them; throws PocketBase's 400
 * "An error occurred while validating the submitted data." with per-field errors.
 */
export async function readForm<K extends string>(
  body: Record<string, unknown>,
  form: Record<K, FormField>,
): Promise<Record<K, string>> {
  const out = {} as Record<K, string>;
  const errors: ErrorData = {};
  for (const [name, spec] of Object.entries(form) as [K, FormField][]) {
    const raw = body[name];
    const v = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : String(raw);
    out[name] = v;
    if (v === '') {
      if (spec.required) errors[name] = fields.required();
      continue;
    }
    const len = [...v].length;
    if (spec.min !== undefined && len < spec.min)
      errors[name] = fieldError(
        FieldCode.lengthOutOfRange,
        `The length must be between ${spec.min} and ${spec.max ?? 255}.`,
        { min: spec.min, max: spec.max ?? 255 },
      );
    else if (spec.max !== undefined && len > spec.max)
      errors[name] =
        spec.min !== undefined
          ? fieldError(
              FieldCode.lengthOutOfRange,
              `The length must be between ${spec.min} and ${spec.max}.`,
              { min: spec.min, max: spec.max },
            )
          : fields.tooLong(spec.max, {
              max: spec.max,
            });
    else if (spec.email && !isEmail(v)) errors[name] = fields.notEmail();
    else if (spec.check) {
      const e = await spec.check(v);
      if (e) errors[name] = e;
    }
  }
  if (Object.keys(errors).length)
    throw new ValidationError('An error occurred while validating the submitted data.', errors);
  return out;
}
