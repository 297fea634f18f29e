import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CronSchedule,
  type FunctionDefinition,
  type FunctionKind,
  isFunctionDefinition,
  type JobDefinitionOptions,
} from './define.ts';
import type { IsolatedModule, IsolatedSandbox } from './isolated.ts';
import { VERSION_PARAM } from './module-hooks.ts';

/** One registered export of a module. */
export interface FunctionEntry {
  /** `billing/invoices` for `fb_functions/billing/invoices.ts`. */
  module: string;
  name: string;
  kind: FunctionKind;
  args?: unknown;
  isolated: boolean;
  method?: string;
  path?: string;
  collection?: string;
  event?: string;
  /** A job's options. */
  job?: JobDefinitionOptions;
  /** A cron's schedule. */
  schedule?: CronSchedule;
  /** The in-process definition (absent for a module of `isolated/`, never imported). */
  def?: FunctionDefinition;
}

/** One loaded file. */
export interface LoadedModule {
  name: string;
  file: string;
  entries: FunctionEntry[];
  /** The module loaded into the sandbox, when one of its exports is isolated. */
  sandboxed?: IsolatedModule;
}

/** A failure to load a file: where it is (file:line) and what it says. */
export interface LoadProblem {
  file: string;
  line?: number;
  message: string;
  error: unknown;
}

const SOURCE = /\.(ts|mts|js|mjs)$/;

/** The module files of a functions dir, as absolute paths (skips `.d.ts`, dot-files, `node_modules`). */
export function moduleFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** A module's name: its path from the functions dir, `/`-separated, without the extension. */
export const moduleName = (dir: string, file: string): string =>
  relative(dir, file).split(sep).join('/').replace(SOURCE, '');

/** True for a module of `<functions_dir>/isolated/`: only the sandbox ever loads it. */
export const isIsolatedModule = (name: string): boolean => name.startsWith('isolated/');

/**
 * Loads one module file: in-process with a cache-busting `?fbv=` (a reload evaluates it
 * again, and its relative imports with it, see module-hooks.ts), and in the sandbox when
 * it is isolated or has isolated exports. Throws a `LoadProblem` on failure.
 */
export async function loadModule(
  dir: string,
  file: string,
  version: number,
  sandbox: () => Promise<IsolatedSandbox>,
): Promise<LoadedModule> {
  const name = moduleName(dir, file);
  try {
    if (isIsolatedModule(name)) {
      const sandboxed = await (await sandbox()).loadIsolatedModule(file, { root: dir });
      const entries: FunctionEntry[] = sandboxed.exports.map((e) => ({
        module: name,
        name: e.name,
        kind: e.kind,
        isolated: true,
        ...bindingOf(e),
      }));
      return { name, file, entries, sandboxed };
    }
    const url = `${pathToFileURL(file).href}?${VERSION_PARAM}=${version}`;
    const ns = (await import(url)) as Record<string, unknown>;
    const entries: FunctionEntry[] = [];
    for (const [exportName, value] of Object.entries(ns)) {
      if (!isFunctionDefinition(value)) continue;
      entries.push({
        module: name,
        name: exportName,
        kind: value.kind,
        isolated: value.isolated === true,
        def: value,
        ...bindingOf(value),
      });
    }
    const loaded: LoadedModule = { name, file, entries };
    if (entries.some((e) => e.isolated))
      loaded.sandboxed = await (await sandbox()).loadIsolatedModule(file, { root: dir });
    return loaded;
  } catch (error) {
    throw problemOf(file, error);
  }
}

/** The optional parts of a definition (or a sandbox's export): args schema, route, hook target. */
function bindingOf(d: {
  args?: unknown;
  method?: string | undefined;
  path?: string | undefined;
  collection?: string | undefined;
  event?: string | undefined;
  job?: JobDefinitionOptions | undefined;
  schedule?: CronSchedule | undefined;
}): Partial<FunctionEntry> {
  return {
    ...(d.args !== undefined ? { args: d.args } : {}),
    ...(d.method ? { method: d.method } : {}),
    ...(d.path ? { path: d.path } : {}),
    ...(d.collection ? { collection: d.collection } : {}),
    ...(d.event ? { event: d.event } : {}),
    ...(d.job ? { job: d.job } : {}),
    ...(d.schedule ? { schedule: d.schedule } : {}),
  };
}

/** Where in the functions dir an error points (the first frame in `file`, or a SyntaxError's location). */
export function problemOf(file: string, error: unknown): LoadProblem {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  let line: number | undefined;
  for (const m of stack.matchAll(/(?:file:\/\/)?(\/[^\s:?()]+)(?:\?[^\s:()]*)?:(\d+)/g)) {
    if (m[1] === file) {
      line = Number(m[2]);
      break;
    }
  }
  return { file, ...(line !== undefined ? { line } : {}), message, error };
}

/** `file:line: message`, the way a problem is logged. */
export const problemText = (p: LoadProblem): string =>
  `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`;
