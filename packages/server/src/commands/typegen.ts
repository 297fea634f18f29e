import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { App } from '../app.ts';
import { moduleFiles, moduleName } from '../functions/loader.ts';
import { watchFunctions } from '../functions/watch.ts';
import { configFrom, withApp } from './common.ts';
import { renderTypes, type TypegenFunction } from './typegen-render.ts';

/** How often `--watch` re-reads the schema (another process may change it). */
const SCHEMA_POLL_MS = 1000;

/** The exports of fb_functions/ with the file each comes from. */
function functionList(app: App, dir: string): TypegenFunction[] {
  const files = new Map(moduleFiles(dir).map((f) => [moduleName(dir, f), f]));
  return (app.functions?.list() ?? []).flatMap((f) => {
    const file = files.get(f.module);
    return file ? [{ module: f.module, name: f.name, kind: f.kind, file }] : [];
  });
}

/** Renders the types and writes them when they changed; answers whether it wrote. */
export function writeTypes(app: App, functionsDir: string, out: string, clientModule?: string): boolean {
  const text = renderTypes(app.collections.all(), functionList(app, functionsDir), out, clientModule);
  let old = '';
  try {
    old = readFileSync(out, 'utf8');
  } catch {
    // a first run
  }
  if (old === text) return false;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  return true;
}

/**
 * Keeps `out` current: the schema is re-read every second (a change made by a running
 * server, on this node or another, shows within that) and a saved function file reloads the
 * function list. Answers the function that stops watching.
 */
export function watchTypes(
  app: App,
  functionsDir: string,
  out: string,
  log: (line: string) => void,
): () => void {
  let busy = Promise.resolve();
  const regenerate = (why: string, reload: () => Promise<unknown>) => {
    busy = busy
      .then(reload)
      .then(() => {
        if (writeTypes(app, functionsDir, out)) log(`typegen: ${out} updated (${why})`);
      })
      .catch((e: unknown) => log(`typegen: ${why}: ${(e as Error).message}`));
  };
  const poll = setInterval(() => regenerate('schema', () => app.collections.reload()), SCHEMA_POLL_MS);
  const stopFiles = watchFunctions(functionsDir, () =>
    regenerate('functions', async () => app.functions?.reload()),
  );
  return () => {
    clearInterval(poll);
    stopFiles();
  };
}

/** `forgebase typegen [--out src/forgebase.d.ts] [--watch]`. */
export function registerTypegenCommand(program: Command): void {
  program
    .command('typegen')
    .description('write TypeScript types of the collections and functions for @forgebase/client')
    .option('--out <file>', 'the file to write', 'src/forgebase.d.ts')
    .option('--watch', 'regenerate when the schema or a function file changes')
    .action(async (opts: { out: string; watch?: boolean }, c: Command) => {
      const config = configFrom(c);
      const out = resolve(opts.out);
      await withApp(config, async (app) => {
        writeTypes(app, config.functionsDir, out);
        process.stdout.write(`typegen: wrote ${out}\n`);
        if (!opts.watch) return;
        const stop = watchTypes(app, config.functionsDir, out, (line) => process.stdout.write(`${line}\n`));
        await new Promise<void>((done) => {
          for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => done());
        });
        stop();
      });
    });
}
