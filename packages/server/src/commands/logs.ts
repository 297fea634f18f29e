import type { Command } from 'commander';
import type { LogModel } from '../logs/log-store.ts';
import { configFrom, withApp } from './common.ts';

const LEVELS: Record<number, string> = { [-4]: 'DEBUG', 0: 'INFO', 4: 'WARN', 8: 'ERROR' };

/** One log entry as a line: time, level, message, and for requests the status and time taken. */
export function logLine(e: LogModel): string {
  const level = (LEVELS[e.level] ?? String(e.level)).padEnd(5);
  const d = e.data;
  const request =
    typeof d.status === 'number'
      ? ` ${d.status} ${typeof d.execTime === 'number' ? `${d.execTime.toFixed(1)}ms` : ''}`
      : '';
  return `${e.created} ${level} ${e.message}${request.trimEnd()}`;
}

/** How the filter of new entries reads: after `since`, and the user's filter if any. */
function newerThan(since: string, filter: string | undefined): string {
  const after = `created >= ${JSON.stringify(since)}`;
  return filter ? `(${filter}) && ${after}` : after;
}

/**
 * `forgebase logs tail [-n N] [--filter F] [--follow] [--json]`: the newest request log
 * entries (those of `GET /api/logs`), oldest first; `--follow` polls for new ones every
 * second until interrupted. Works against a running server's database (SQLite WAL, or
 * PostgreSQL's `_logs`).
 */
export function registerLogsCommand(program: Command): void {
  const cmd = program.command('logs').description('read the request logs');
  cmd
    .command('tail')
    .description('print the newest log entries, oldest first')
    .option('-n, --lines <count>', 'how many entries', '20')
    .option(
      '--filter <expr>',
      "PocketBase's filter over id, created, level, message and data.* (e.g. 'data.status >= 500')",
    )
    .option('-f, --follow', 'keep printing new entries (Ctrl-C to stop)')
    .option('--json', 'one JSON object per line')
    .action(async (o: { lines: string; filter?: string; follow?: boolean; json?: boolean }, c: Command) => {
      const lines = Number(o.lines);
      if (!Number.isSafeInteger(lines) || lines < 1 || lines > 1000)
        throw new Error('--lines: expected a number from 1 to 1000');
      const print = (e: LogModel) => process.stdout.write(`${o.json ? JSON.stringify(e) : logLine(e)}\n`);
      await withApp(configFrom(c), async (app) => {
        const newest = await app.logs.list({
          perPage: lines,
          sort: '-created,-@rowid',
          skipTotal: true,
          ...(o.filter ? { filter: o.filter } : {}),
        });
        const shown = [...(newest.items as unknown as LogModel[])].reverse();
        for (const e of shown) print(e);
        if (!o.follow) return;
        // entries of the last printed millisecond are remembered: `>=` sees them again
        let since = shown.at(-1)?.created ?? '';
        let seen = new Set(shown.filter((e) => e.created === since).map((e) => e.id));
        let stop = false;
        process.once('SIGINT', () => {
          stop = true;
        });
        while (!stop) {
          await new Promise((r) => setTimeout(r, 1000));
          const page = await app.logs.list({
            perPage: 500,
            sort: 'created,@rowid',
            skipTotal: true,
            ...(since || o.filter ? { filter: since ? newerThan(since, o.filter) : o.filter } : {}),
          });
          for (const e of page.items as unknown as LogModel[]) {
            if (seen.has(e.id)) continue;
            print(e);
            if (e.created !== since) {
              since = e.created;
              seen = new Set();
            }
            seen.add(e.id);
          }
        }
      });
    });
}
