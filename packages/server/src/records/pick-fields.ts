import { BadRequestError } from '../errors/api-error.ts';
import { excerpt } from './excerpt.ts';

interface PickNode {
  all: boolean;
  children: Map<string, PickNode>;
  excerpt?: { max: number; ellipsis: boolean };
}

const EXCERPT_RE = /^(.*):excerpt\(\s*(\d+)\s*(?:,\s*(true|false|1|0|t|f)\s*)?\)$/i;

/** Splits on commas outside parentheses, so `body:excerpt(10,true)` stays one part. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Parses the `fields` query parameter (`id,title,expand.author.name,body:excerpt(100,true)`,
 * `*` for all keys of a level) into a tree; undefined when no projection is asked for.
 */
export function parseFields(param: string | undefined): PickNode | undefined {
  if (!param?.trim()) return undefined;
  const root: PickNode = { all: false, children: new Map() };
  for (const rawPart of splitTopLevel(param)) {
    let part = rawPart.trim();
    if (!part) continue;
    let excerpt: PickNode['excerpt'];
    const m = EXCERPT_RE.exec(part);
    if (m) {
      part = m[1]!;
      excerpt = { max: Number(m[2]), ellipsis: /^(true|1|t)$/i.test(m[3] ?? '') };
    } else if (part.includes(':')) {
      throw new BadRequestError(`Invalid fields modifier in "${part}".`);
    }
    let node = root;
    const segments = part.split('.');
    segments.forEach((seg, i) => {
      if (seg === '*') {
        node.all = true;
        return;
      }
      let child = node.children.get(seg);
      if (!child) {
        child = { all: i === segments.length - 1, children: new Map() };
        node.children.set(seg, child);
      } else if (i === segments.length - 1) child.all = true;
      if (i === segments.length - 1 && excerpt) child.excerpt = excerpt;
      node = child;
    });
  }
  return root;
}

/** Applies a parsed projection to a JSON value (objects and arrays of objects). */
export function pickFields(value: unknown, node: PickNode): unknown {
  if (Array.isArray(value)) return value.map((v) => pickFields(v, node));
  if (!value || typeof value !== 'object') return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    const child = node.children.get(k);
    if (child) {
      let picked = child.children.size > 0 ? pickFields(v, child) : v;
      if (child.excerpt && typeof picked === 'string')
        picked = excerpt(picked, child.excerpt.max, child.excerpt.ellipsis);
      out[k] = picked;
    } else if (node.all) out[k] = v;
  }
  return out;
}
