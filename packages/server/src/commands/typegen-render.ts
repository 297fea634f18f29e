import { dirname, relative, sep } from 'node:path';
import type { FieldModel } from '../schema/field.ts';

/** What typegen needs of a collection (schema/collection.ts `Collection`). */
export interface TypegenCollection {
  id: string;
  name: string;
  type: string;
  fields: FieldModel[];
}

/** One callable export of `fb_functions/` and the file it lives in. */
export interface TypegenFunction {
  module: string;
  name: string;
  kind: string;
  file: string;
}

const CALLABLE = new Set(['query', 'mutation', 'action']);
const STRING_TYPES = new Set(['text', 'editor', 'email', 'url', 'date', 'autodate']);

const pascal = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('') || 'Collection';

const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));
const many = (f: FieldModel) => Number(f.maxSelect ?? 1) > 1;

/** Type names per collection id, unique even when two names PascalCase alike. */
function typeNames(collections: TypegenCollection[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const c of collections) {
    let base = pascal(c.name.replace(/^_+/, ''));
    if (/^\d/.test(base)) base = `C${base}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}${n}`;
    used.add(name);
    out.set(c.id, name);
  }
  return out;
}

/** The TypeScript type of a field's value as a record shows it. */
function readType(f: FieldModel): string {
  if (STRING_TYPES.has(f.type)) return 'string';
  switch (f.type) {
    case 'number':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'json':
      return 'unknown';
    case 'geoPoint':
      return '{ lon: number; lat: number }';
    case 'select': {
      const values = ((f.values as string[] | undefined) ?? []).map((v) => JSON.stringify(v));
      const one = values.length ? values.join(' | ') : 'string';
      return many(f) ? `(${one})[]` : `${one} | ''`;
    }
    case 'file':
    case 'relation':
      return many(f) ? 'string[]' : 'string';
    default:
      return 'unknown';
  }
}

/** The type a create or update body may give a field. */
function writeType(f: FieldModel): string {
  if (f.type === 'password') return 'string';
  if (f.type === 'file') return many(f) ? '(File | Blob)[]' : 'File | Blob | null';
  if (f.type === 'select' && !many(f)) return readType(f).replace(` | ''`, '');
  return readType(f);
}

function recordType(c: TypegenCollection, names: Map<string, string>, byId: Map<string, TypegenCollection>) {
  const name = names.get(c.id)!;
  const lines = [`  collectionId: ${JSON.stringify(c.id)};`, `  collectionName: ${JSON.stringify(c.name)};`];
  const expand: string[] = [];
  for (const f of c.fields) {
    if (f.type === 'password') continue;
    // hidden fields reach superusers only
    lines.push(`  ${key(f.name)}${f.hidden ? '?' : ''}: ${readType(f)};`);
    if (f.type === 'relation') {
      const target = names.get(String(f.collectionId));
      const t = target && byId.has(String(f.collectionId)) ? `${target}Record` : 'RecordModel';
      expand.push(`    ${key(f.name)}?: ${many(f) ? `${t}[]` : t};`);
    }
  }
  if (expand.length) lines.push(`  expand?: {\n${expand.join('\n')}\n  };`);
  else lines.push('  expand?: Record<string, unknown>;');
  return `/** A record of \`${c.name}\` (${c.type}). */\nexport interface ${name}Record {\n${lines.join('\n')}\n}`;
}

function createType(c: TypegenCollection, names: Map<string, string>) {
  const name = names.get(c.id)!;
  const lines: string[] = [];
  for (const f of c.fields) {
    if (f.type === 'autodate' || (f.name === 'tokenKey' && c.type === 'auth')) continue;
    const required = f.required === true && f.name !== 'id' && f.type !== 'bool';
    lines.push(`  ${key(f.name)}${required ? '' : '?'}: ${writeType(f)};`);
    if (f.type === 'password') lines.push('  passwordConfirm?: string;');
  }
  return `/** The body of a \`${c.name}\` create. */\nexport interface ${name}Create {\n${lines.join('\n')}\n}`;
}

/** The `Api` tree: module path segments, then exports, each a `FunctionRef`. */
function apiType(fns: TypegenFunction[], outFile: string): { imports: string[]; body: string } {
  const callable = fns.filter((f) => CALLABLE.has(f.kind));
  const modules = [...new Set(callable.map((f) => f.module))].sort();
  const alias = new Map(modules.map((m, i) => [m, `fn${i}_${m.replace(/\W/g, '_')}`]));
  const imports = modules.map((m) => {
    const file = callable.find((f) => f.module === m)!.file;
    let path = relative(dirname(outFile), file).split(sep).join('/');
    if (!path.startsWith('.')) path = `./${path}`;
    return `import type * as ${alias.get(m)} from ${JSON.stringify(path)};`;
  });
  type Tree = { [k: string]: Tree | string };
  const tree: Tree = {};
  for (const f of callable) {
    let at = tree;
    for (const part of f.module.split('/')) {
      const next = (at[part] ?? {}) as Tree;
      at[part] = next;
      at = next;
    }
    const def = `typeof ${alias.get(f.module)}.${f.name}`;
    at[f.name] = `FunctionRef<'${f.kind}', ArgsOf<${def}>, ResultOf<${def}>>`;
  }
  const render = (t: Tree, indent: string): string =>
    Object.entries(t)
      .map(([k, v]) =>
        typeof v === 'string'
          ? `${indent}${key(k)}: ${v};`
          : `${indent}${key(k)}: {\n${render(v, `${indent}  `)}\n${indent}};`,
      )
      .join('\n');
  return { imports, body: `export interface Api {\n${render(tree, '  ')}\n}` };
}

/**
 * The text of `forgebase.d.ts`: one record and create type per collection (selects as
 * unions, relations with their expand shapes, auth collections marked), the `Api` of every
 * query, mutation and action (types imported from the modules themselves), and `Schema`
 * for `new ForgeBase<Schema>(url)`.
 */
export function renderTypes(
  collections: TypegenCollection[],
  functions: TypegenFunction[],
  outFile: string,
  clientModule = '@forgebase/client',
): string {
  const sorted = [...collections].sort((a, b) => a.name.localeCompare(b.name));
  const names = typeNames(sorted);
  const byId = new Map(sorted.map((c) => [c.id, c]));
  const api = apiType(functions, outFile);
  const entries = sorted.map((c) => {
    const n = names.get(c.id)!;
    return `  ${key(c.name)}: { record: ${n}Record; create: ${n}Create; update: Partial<${n}Create>; auth: ${c.type === 'auth'} };`;
  });
  return [
    '// Generated by `forgebase typegen` from the live schema and fb_functions/. Do not edit.',
    `import type { ArgsOf, FunctionRef, RecordModel, ResultOf } from ${JSON.stringify(clientModule)};`,
    ...api.imports,
    '',
    ...sorted.flatMap((c) => [recordType(c, names, byId), '', createType(c, names), '']),
    '/** Every collection, by name (a type alias: the client indexes it by string). */',
    `export type Collections = {\n${entries.join('\n')}\n};`,
    '',
    '/** The callable functions of fb_functions/, as refs for `fb.query`, `fb.mutation` and `fb.action`. */',
    api.body,
    '',
    '/** The schema to type a client with: `new ForgeBase<Schema>(url)`. */',
    'export type Schema = {\n  collections: Collections;\n  functions: Api;\n};',
    '',
  ].join('\n');
}
