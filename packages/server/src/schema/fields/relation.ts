import type { ErrorData } from '../../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import {
  commonOptions,
  decodeList,
  type FieldType,
  isMulti,
  modifyMulti,
  normalizeMulti,
  num,
} from '../field.ts';

export const relationField: FieldType = {
  type: 'relation',
  subPaths: 'relation',
  list: true,
  defaults: () => ({
    ...commonOptions(),
    cascadeDelete: false,
    collectionId: '',
    maxSelect: 0,
    minSelect: 0,
    required: false,
  }),
  column: (f) => ({ kind: isMulti(f) ? 'jsonArray' : 'text' }),
  zero: (f) => (isMulti(f) ? [] : ''),
  normalize: normalizeMulti,
  modify: modifyMulti,
  validateOptions(f, ctx): ErrorData | undefined {
    const target = typeof f.collectionId === 'string' ? f.collectionId : '';
    if (!target) return { collectionId: fields.required() };
    const targetType = ctx.collectionType(target);
    if (!targetType) {
      return {
        collectionId: fieldError(
          FieldCode.fieldRelationMissingCollection,
          "The relation collection doesn't exist.",
        ),
      };
    }
    if (ctx.previous && ctx.previous.type === 'relation' && ctx.previous.collectionId !== f.collectionId) {
      return {
        collectionId: fieldError(FieldCode.fieldRelationChange, 'The relation collection cannot be changed.'),
      };
    }
    if (targetType === 'view' && ctx.ownerType !== 'view') {
      return {
        collectionId: fieldError(
          FieldCode.relationFieldNonViewBaseCollection,
          'Only view collections are allowed to have relations to other views.',
        ),
      };
    }
    const min = num(f.minSelect);
    const max = num(f.maxSelect);
    if (min < 0)
      return {
        minSelect: fields.atLeast(0),
      };
    if (min > 0 && max < min) {
      return {
        maxSelect: fields.atLeast(min, {
          threshold: min,
        }),
      };
    }
    return undefined;
  },
  async validate(value, f, ctx) {
    const list = Array.isArray(value) ? (value as string[]) : value === '' ? [] : [value as string];
    if (list.length === 0) return f.required ? fields.required() : undefined;
    const min = num(f.minSelect);
    if (min > 0 && list.length < min) {
      return fieldError(FieldCode.notEnoughValues, `Select at least ${min}.`, { minSelect: min });
    }
    const max = Math.max(num(f.maxSelect), 1);
    if (list.length > max)
      return fieldError(FieldCode.tooManyValues, `Select no more than ${max}.`, { maxSelect: max });
    const found = await ctx.existingIds(f.collectionId as string, list);
    if (list.some((id) => !found.has(id))) {
      return fieldError(
        FieldCode.missingRelRecords,
        'Failed to find all relation records with the provided ids.',
      );
    }
    return undefined;
  },
  encode: (v, f) => (isMulti(f) ? JSON.stringify(v) : v),
  decode: (raw, f) => (isMulti(f) ? decodeList(raw) : raw === null || raw === undefined ? '' : String(raw)),
};
