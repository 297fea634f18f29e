import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { moduleFooter, SHIM_SOURCE, SHIM_SPECIFIER } from './prelude.ts';

/**
 * What a sandbox may import: `@forgebase/server/functions` (the shim) and files inside the
 * functions root by relative path. Resolved names are absolute real paths (symlinks followed),
 * so `../../etc/passwd` or a link pointing out of the root is refused, not read. Sources are
 * read, type-stripped and cached once per module load: invocations never touch the disk.
 */
export interface ModuleSources {
  /** The QuickJS module normalizer: a resolved name, or throws with a message for the user. */
  resolve(base: string, requested: string): string;
  /** The source QuickJS evaluates for a resolved name. */
  source(name: string): string;
  /** The function module name of a file ("billing/invoices" for <root>/billing/invoices.ts). */
  moduleName(file: string): string;
}

const EXTENSIONS = ['.ts', '.js', '.mjs', '.mts'];

/** Builds the resolver for the files under `root`. */
export function createModuleSources(root: string): ModuleSources {
  const realRoot = realpathSync(root);
  const cache = new Map<string, string>([[SHIM_SPECIFIER, SHIM_SOURCE]]);
  const inside = (file: string) => isInside(realRoot, file);
  const moduleName = (file: string) => {
    const rel = relative(realRoot, file);
    return rel
      .slice(0, rel.length - extname(rel).length)
      .split(sep)
      .join('/');
  };

  function locate(file: string): string {
    const candidates = EXTENSIONS.includes(extname(file)) ? [file] : EXTENSIONS.map((e) => file + e);
    for (const c of candidates) {
      if (!existsSync(c)) continue;
      const real = realpathSync(c);
      if (!inside(real)) break;
      return real;
    }
    throw new Error(`cannot import "${file}": no such module inside the functions directory`);
  }

  return {
    resolve(base, requested) {
      if (requested === SHIM_SPECIFIER) return SHIM_SPECIFIER;
      if (requested === base && cache.has(base)) return base; // the footer's self-import
      if (!requested.startsWith('./') && !requested.startsWith('../'))
        throw new Error(
          `cannot import "${requested}": isolated functions may import only "${SHIM_SPECIFIER}" and relative files of the functions directory`,
        );
      if (base === SHIM_SPECIFIER || !isAbsolute(base))
        throw new Error(`cannot import "${requested}" from "${base}"`);
      const target = resolve(dirname(base), requested);
      if (!inside(target))
        throw new Error(`cannot import "${requested}": it is outside the functions directory`);
      return locate(target);
    },
    source(name) {
      const cached = cache.get(name);
      if (cached !== undefined) return cached;
      if (!isAbsolute(name) || !inside(name)) throw new Error(`cannot load "${name}"`);
      const text = readFileSync(name, 'utf8');
      const code = extname(name).endsWith('ts') ? stripped(text, name) : text;
      const full = code + moduleFooter(name, moduleName(name));
      cache.set(name, full);
      return full;
    },
    moduleName,
  };
}

/** The real path of the entry module, refused when it is not inside the functions root. */
export function entryFile(file: string, root: string): string {
  const real = realpathSync(file);
  if (!isInside(realpathSync(root), real))
    throw new Error(`${file} is not inside the functions directory ${root}`);
  return real;
}

function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The code without its types; a syntax error says file:line (amaro's stack starts ":<line>"). */
function stripped(text: string, file: string): string {
  try {
    return stripTypeScriptTypes(text, { mode: 'strip' });
  } catch (e) {
    const err = e as Error;
    const line = /^:(\d+)/.exec(err.stack ?? '')?.[1];
    const failure = new SyntaxError(err.message);
    failure.stack = `SyntaxError: ${err.message}\n    at ${file}${line ? `:${line}` : ''}`;
    throw failure;
  }
}
