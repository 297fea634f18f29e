import type { ErrorData } from '../../errors/api-error.ts';
import { FieldCode, fieldError } from '../../errors/codes.ts';
import type { FieldType } from '../field.ts';

/** Set by the server on create and/or update; client input is ignored. */
export const autodateField: FieldType = {
  type: 'autodate',
  defaults: () => ({ hidden: false, presentable: false, system: false, onCreate: true, onUpdate: false }),
  column: () => ({ kind: 'text' }),
  zero: () => '',
  normalize: (raw) => raw,
  readOnly: true,
  validateOptions(f, ctx): ErrorData | undefined {
    if (!f.onCreate && !f.onUpdate) {
      return { onUpdate: fieldError(FieldCode.required, 'Either onCreate or onUpdate must be enabled.') };
    }
    if (
      f.system &&
      ctx.previous &&
      (ctx.previous.onCreate !== f.onCreate || ctx.previous.onUpdate !== f.onUpdate)
    ) {
      return {
        onCreate: fieldError(FieldCode.systemAutodateChange, 'System autodate fields cannot be changed.'),
      };
    }
    return undefined;
  },
  validate: () => undefined,
  encode: (v) => v,
  decode: (raw) => (raw === null || raw === undefined ? '' : String(raw)),
};
