import type { Command } from 'commander';
import { configFrom, withApp } from './common.ts';

/**
 * `forgebase secrets rotate-key` (alias `rotate`): re-seals every stored secret with the
 * current key. Start it with the new key as the key and the old one as the previous key
 * (FORGEBASE_ENCRYPTION_KEY and FORGEBASE_ENCRYPTION_KEY_PREVIOUS, or `--encryptionEnv
 * NAME` with NAME and NAME_PREVIOUS); afterwards the old key is no longer needed. A start
 * does the same.
 *
 * `forgebase secrets set NAME | list | delete NAME`: the user secrets functions read as
 * `ctx.secrets.NAME`. `set` reads the value from stdin (piped) or a hidden prompt, never
 * from argv, so it stays out of shell history and process lists.
 */
export function registerSecretsCommand(program: Command): void {
  const cmd = program.command('secrets').description('secrets at rest, and user secrets for functions');
  cmd
    .command('rotate-key')
    .alias('rotate')
    .description('re-seal every stored secret with the current encryption key')
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        // opening the app already re-sealed what needed it; this pass reports the state
        const done = await app.rotateSecrets();
        const total = done.reduce((n, r) => n + r.resealed, 0);
        process.stdout.write(
          `Every stored secret is sealed with key ${app.secrets.kid}${total ? ` (${total} re-sealed now)` : ''}.\n`,
        );
      });
    });
  cmd
    .command('set <name>')
    .description('create or replace a user secret; the value comes from stdin or a hidden prompt')
    .action(async (name: string, _o: unknown, c: Command) => {
      const config = configFrom(c);
      const value = await readSecretValue(name);
      await withApp(config, async (app) => {
        await app.audit.recorded(
          () => app.userSecrets.set(name, value),
          () => ({ action: 'secret.set', target: name }),
        );
        process.stdout.write(`Secret ${name} set.\n`);
      });
    });
  cmd
    .command('list')
    .description('the names of the user secrets (never their values)')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const names = await app.userSecrets.names();
        process.stdout.write(o.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
      });
    });
  cmd
    .command('delete <name>')
    .description('delete a user secret')
    .action(async (name: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const gone = await app.audit.recorded(
          () => app.userSecrets.delete(name),
          () => ({ action: 'secret.delete', target: name }),
        );
        if (!gone) throw new Error(`no secret named ${name}`);
        process.stdout.write(`Secret ${name} deleted.\n`);
      });
    });
}

/** The value: all of piped stdin (one trailing newline dropped), or typed at a prompt that does not echo. */
async function readSecretValue(name: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    stdin.setEncoding('utf8');
    for await (const chunk of stdin) text += chunk;
    const value = text.replace(/\r?\n$/, '');
    if (!value) throw new Error('no value on stdin');
    return value;
  }
  process.stderr.write(`Value for ${name}: `);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done(value ? undefined : new Error('no value given'));
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
