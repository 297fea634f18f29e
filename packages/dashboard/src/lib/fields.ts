/** The field types the collection editor offers, with the options each one needs. */
export const FIELD_TYPES = [
  'text',
  'number',
  'bool',
  'email',
  'url',
  'date',
  'select',
  'json',
  'file',
  'relation',
  'editor',
  'geoPoint',
  'autodate',
] as const;

export type FieldType = (typeof FIELD_TYPES)[number];

/** A field as the collections API takes it (only the options the editor sets). */
export interface FieldDraft {
  id?: string;
  name: string;
  type: FieldType | string;
  required?: boolean;
  system?: boolean;
  hidden?: boolean;
  values?: string[];
  maxSelect?: number;
  collectionId?: string;
  onCreate?: boolean;
  onUpdate?: boolean;
  [option: string]: unknown;
}

/** A new field of a type, with the options the server needs for it. */
export function newField(type: FieldType, name = ''): FieldDraft {
  if (type === 'select') return { name, type, values: [], maxSelect: 1 };
  if (type === 'relation') return { name, type, collectionId: '', maxSelect: 1 };
  if (type === 'file') return { name, type, maxSelect: 1, maxSize: 5 * 1024 * 1024 };
  if (type === 'autodate') return { name, type, onCreate: true, onUpdate: false };
  return { name, type };
}

export const RULES = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'] as const;
export type RuleName = (typeof RULES)[number];

export const RULE_LABELS: Record<RuleName, string> = {
  listRule: 'List rule',
  viewRule: 'View rule',
  createRule: 'Create rule',
  updateRule: 'Update rule',
  deleteRule: 'Delete rule',
};
