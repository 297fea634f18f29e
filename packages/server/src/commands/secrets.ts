import type { Command } from 'commander';
import { configFrom, withApp } from './common.ts';

/**
 * `forgebase secrets rotate`: re-seals every stored secret with the current key. Start it
 * with the new key as the key and the old one as the previous key (FORGEBASE_ENCRYPTION_KEY
 * and FORGEBASE_ENCRYPTION_KEY_PREVIOUS, or `--encryptionEnv NAME` with NAME and
 * NAME_PREVIOUS); afterwards the old key is no longer needed. A start does the same.
 */
export function registerSecretsCommand(program: Command): void {
  const cmd = program.command('secrets').description('secrets at rest');
  cmd
    .command('rotate')
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
}
