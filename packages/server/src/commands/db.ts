import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { DatabaseService } from '../databases/database-service.ts';
import type { HranaStmtResult, HranaValue } from '../databases/hrana-proto.ts';
import { configFrom, withApp } from './common.ts';

/** A Hrana value as the shell prints it. */
function cell(v: HranaValue): string {
  switch (v.type) {
    case 'null':
      return 'NULL';
    case 'blob':
      return `x'${Buffer.from(v.base64, 'base64').toString('hex')}'`;
    default:
      return String(v.value);
  }
}

/** Rows as an aligned text table (like sqlite3's `.mode table`), then the counts. */
export function formatResult(r: HranaStmtResult): string {
  if (!r.cols.length) return `${r.affected_row_count} row(s) changed\n`;
  const head = r.cols.map((c) => c.name ?? '');
  const rows = r.rows.map((row) => row.map(cell));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return `${[rule, line(head), rule, ...rows.map(line), rule].join('\n')}\n${rows.length} row(s)\n`;
}

/**
 * The shell's loop: reads statements (a statement ends with `;`, so one may span lines),
 * runs each on the database with full rights, prints rows or the error. `.tables` lists
 * the tables, `.quit` (or end of input) leaves.
 */
async function runShell(svc: DatabaseService, name: string): Promise<void> {
  const tenant = await svc.tenant(name);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  // piped input (a script) gets no prompts in its output
  const prompt = (more: boolean) => {
    if (!process.stdin.isTTY) return;
    rl.setPrompt(more ? '   ...> ' : `${name}> `);
    rl.prompt();
  };
  let buffer = '';
  prompt(false);
  for await (const input of rl) {
    const line = input.trim();
    if (!buffer && line.startsWith('.')) {
      if (line === '.quit' || line === '.exit') break;
      if (line === '.tables') process.stdout.write(`${tenant.tables().join('\n')}\n`);
      else process.stdout.write('commands: .tables .quit\n');
      prompt(false);
      continue;
    }
    buffer += `${input}\n`;
    if (!line.endsWith(';')) {
      prompt(buffer.trim() !== '');
      continue;
    }
    const sql = buffer.trim();
    buffer = '';
    try {
      process.stdout.write(formatResult(tenant.execute({ sql }, sql, { readOnly: false })));
    } catch (e) {
      process.stdout.write(`Error: ${(e as Error).message} (${(e as { code?: string }).code ?? 'ERROR'})\n`);
    }
    prompt(false);
  }
  rl.close();
}

/** `forgebase db create|list|delete|shell NAME`: the tenant databases from the shell. */
export function registerDbCommand(program: Command): void {
  const cmd = program.command('db').description('manage tenant databases (the databases API)');
  cmd
    .command('create <name>')
    .description('create a database')
    .action(async (name: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        await (await app.databases.get()).create({ name });
        process.stdout.write(`Database ${name} created.\n`);
      });
    });
  cmd
    .command('list')
    .description('list the databases')
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        for (const d of await (await app.databases.get()).list())
          process.stdout.write(`${d.name}\t${d.size} bytes\tcreated ${d.created}\n`);
      });
    });
  cmd
    .command('delete <name>')
    .description('delete a database and its backups')
    .action(async (name: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        await (await app.databases.get()).delete(name);
        process.stdout.write(`Database ${name} deleted.\n`);
      });
    });
  cmd
    .command('shell <name>')
    .description('an interactive SQL prompt on a database (statements end with ;)')
    .action(async (name: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => runShell(await app.databases.get(), name));
    });
}
