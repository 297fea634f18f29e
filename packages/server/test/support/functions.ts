import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A functions dir of its own in a temp dir, with `files` (path under it → source). */
export function functionsDir(files: Record<string, string>): {
  dir: string;
  write(path: string, source: string): void;
  remove(): void;
} {
  const root = mkdtempSync(join(tmpdir(), 'fb-functions-'));
  const dir = join(root, 'fb_functions');
  const write = (path: string, source: string) => {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, source);
  };
  mkdirSync(dir, { recursive: true });
  for (const [path, source] of Object.entries(files)) write(path, source);
  return { dir, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The todos collection the function suites share: each user sees and changes only their own. */
export const TODOS = {
  name: 'todos',
  listRule: 'owner = @request.auth.id',
  viewRule: 'owner = @request.auth.id',
  createRule: '',
  updateRule: 'owner = @request.auth.id',
  deleteRule: 'owner = @request.auth.id',
  fields: [
    { name: 'title', type: 'text', required: true },
    { name: 'owner', type: 'text' },
    { name: 'done', type: 'bool' },
  ],
};
