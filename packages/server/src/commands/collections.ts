import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { collectionToJSON } from '../schema/collection.ts';
import { configFrom, withApp } from './common.ts';

/**
 * `forgebase collections list|export|import`: the schema without the API. `export` writes
 * the collections as `PUT /api/collections/import` (and PocketBase's dashboard) reads
 * them; system collections stay out, every server makes its own.
 */
export function registerCollectionsCommand(program: Command): void {
  const cmd = program.command('collections').description('list, export and import collections');
  cmd
    .command('list')
    .description('list the collections: name, type, fields')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const all = [...app.collections.all()].sort((a, b) => a.name.localeCompare(b.name));
        if (o.json) {
          const rows = all.map((x) => ({
            id: x.id,
            name: x.name,
            type: x.type,
            system: x.system,
            fields: x.fields.length,
          }));
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        const width = Math.max(4, ...all.map((x) => x.name.length));
        const lines = all.map(
          (x) =>
            `${x.name.padEnd(width)}  ${x.type.padEnd(4)}  ${x.fields.length} fields${x.system ? '  (system)' : ''}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });
  cmd
    .command('export [file]')
    .description('write the collections as JSON to FILE (default: stdout)')
    .action(async (file: string | undefined, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const list = app.collections
          .all()
          .filter((x) => !x.system)
          .map(collectionToJSON);
        const text = `${JSON.stringify(list, null, 2)}\n`;
        if (file) {
          await writeFile(file, text);
          process.stderr.write(`Exported ${list.length} collection(s) to ${file}.\n`);
        } else process.stdout.write(text);
      });
    });
  cmd
    .command('import <file>')
    .description(
      'create or update the collections of FILE (a JSON array, or {"collections": [...]}), in one transaction',
    )
    .option('--delete-missing', 'delete the collections (and their records) FILE does not list')
    .action(async (file: string, o: { deleteMissing?: boolean }, c: Command) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const list = Array.isArray(parsed) ? parsed : (parsed as { collections?: unknown } | null)?.collections;
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        list.some((x) => !x || typeof x !== 'object' || Array.isArray(x))
      )
        throw new Error(
          `${file}: expected a non-empty JSON array of collections (or {"collections": [...]})`,
        );
      await withApp(configFrom(c), async (app) => {
        await app.collections.import(list as Record<string, unknown>[], o.deleteMissing === true);
        process.stdout.write(`Imported ${list.length} collection(s).\n`);
      });
    });
}
