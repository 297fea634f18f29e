import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { App } from '../../src/app.ts';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../../../node_modules/.bin', import.meta.url));

/** Writes request log entries for `GET <path>` answered with `status`, as the HTTP layer does. */
async function logRequests(app: App, entries: [path: string, status: number][]): Promise<void> {
  for (const [url, status] of entries) {
    app.logs.request({
      method: 'GET',
      url,
      status,
      execTime: 1.25,
      referer: '',
      userAgent: 'test',
      userIp: '127.0.0.1',
      remoteIp: '127.0.0.1',
    });
    // one millisecond apart at least: the tail's order is the entries' time
    await new Promise((r) => setTimeout(r, 2));
  }
  await app.logs.flush();
}

for (const dialect of DIALECTS) {
  describe(`forgebase logs tail (${dialect})`, () => {
    let cli: CliTarget;
    before(async () => {
      cli = cliTarget(dialect);
      await cli.withApp((app) =>
        logRequests(app, [
          ['/one', 200],
          ['/two', 404],
          ['/three', 500],
        ]),
      );
    });
    after(() => cli.close());

    test('prints the newest entries, oldest first', async () => {
      const res = await cli.run('logs', 'tail', '-n', '2');
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      // PocketBase's levels: a 4xx or 5xx answer is an error entry
      assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z ERROR GET \/two 404 1\.3ms$/);
      assert.match(lines[1]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z ERROR GET \/three 500 1\.3ms$/);
    });

    test('--filter and --json', async () => {
      const res = await cli.run('logs', 'tail', '--filter', 'data.status >= 404', '--json');
      assert.equal(res.code, 0, res.stderr);
      const entries = res.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        entries.map((e) => [e.message, e.data.status]),
        [
          ['GET /two', 404],
          ['GET /three', 500],
        ],
      );
      const bad = await cli.run('logs', 'tail', '-n', '0');
      assert.deepEqual(bad, {
        code: 1,
        stdout: '',
        stderr: 'forgebase: --lines: expected a number from 1 to 1000\n',
      });
    });

    test('--follow prints entries written after it started, until interrupted', async () => {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FORGEBASE_')) env[k] = v;
      env.PATH = `${BIN}${delimiter}${process.env.PATH ?? ''}`;
      const child = spawn('node', [MAIN, ...cli.flags, 'logs', 'tail', '-n', '1', '--follow'], {
        cwd: cli.cwd,
        env,
      });
      let out = '';
      const waiting = new Set<() => void>();
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        for (const check of waiting) check();
      });
      const waitFor = (re: RegExp) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (!re.test(out)) return;
            waiting.delete(check);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            waiting.delete(check);
            reject(new Error(`no ${re} within 30 s; got: ${out}`));
          }, 30_000);
          waiting.add(check);
          check();
        });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      try {
        await waitFor(/GET \/three 500/);
        await cli.withApp((app) => logRequests(app, [['/four', 200]]));
        await waitFor(/GET \/four 200/);
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await exited, 0);
      const lines = out.trimEnd().split('\n');
      assert.deepEqual(
        lines.map((l) => l.replace(/^\S+ \S+ /, '')),
        ['ERROR GET /three 500 1.3ms', 'INFO  GET /four 200 1.3ms'],
      );
    });
  });
}
