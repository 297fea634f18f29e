import { createWriteStream, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { type AuditExport, verifyExport } from '../audit/audit-service.ts';
import { configFrom, withApp } from './common.ts';

/**
 * `forgebase audit verify|export|sign`: check the audit chain, write it out for an
 * auditor (with its head, so the copy can be checked offline), sign the head now.
 */
export function registerAuditCommand(program: Command): void {
  const cmd = program.command('audit').description('the tamper-evident audit log');
  cmd
    .command('verify')
    .description('walk the audit chain; report the first altered, missing or reordered entry')
    .option('--json', 'print the report as JSON')
    .option('--file <export>', 'check a JSON export offline instead of the database')
    .option('--public-key <base64>', "with --file: the operator's Ed25519 public key (raw, base64)")
    .action(async (o: { json?: boolean; file?: string; publicKey?: string }, c: Command) => {
      if (o.file) {
        const doc = JSON.parse(readFileSync(o.file, 'utf8')) as AuditExport;
        const r = verifyExport(doc, o.publicKey ?? doc.publicKey);
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (r.ok)
          process.stdout.write(
            `The export is intact: ${r.count} entries up to head ${r.head.seq} ${r.head.hash}.\n`,
          );
        else process.stdout.write(`The export is broken at entry ${r.seq}: ${r.message}.\n`);
        if (!r.ok) process.exitCode = 2;
        return;
      }
      await withApp(configFrom(c), async (app) => {
        const r = await app.audit.verify();
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (r.ok)
          process.stdout.write(
            `The audit chain is intact: ${r.count} entries${r.start.seq ? ` after checkpoint ${r.start.seq}` : ''}, head ${r.head.seq} ${r.head.hash}${r.signedHeads ? `, ${r.signedHeads} signed heads` : ''}.\n`,
          );
        else process.stdout.write(`The audit chain is broken at entry ${r.seq}: ${r.message}.\n`);
        if (!r.ok) process.exitCode = 2;
      });
    });
  cmd
    .command('export [file]')
    .description('write the audit chain (from --since) as JSON or CSV, to a file or stdout')
    .option('--format <format>', 'json or csv', 'json')
    .option('--since <date>', 'the first entry created at or after this date (2026-01-31 or an ISO time)')
    .action(async (file: string | undefined, o: { format: string; since?: string }, c: Command) => {
      if (o.format !== 'json' && o.format !== 'csv') throw new Error('--format: json or csv');
      await withApp(configFrom(c), async (app) => {
        const out = file ? createWriteStream(file) : process.stdout;
        const head = await app.audit.exportTo(out, {
          format: o.format as 'json' | 'csv',
          ...(o.since ? { since: o.since } : {}),
        });
        if (file) {
          out.end();
          await finished(out);
        }
        // the head on stderr too: a CSV has no room for it, and it is what to compare with
        process.stderr.write(head ? `head: ${head.seq} ${head.hash}\n` : 'head: no entries\n');
      });
    });
  cmd
    .command('sign')
    .description("sign the chain's head now with the configured key (audit_signing_key_file)")
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        if (!app.config.auditSigningKeyFile)
          throw new Error('no audit signing key is configured (audit_signing_key_file)');
        const cp = await app.audit.signHead();
        process.stdout.write(cp ? `Signed head ${cp.seq} ${cp.hash}.\n` : 'The head is already signed.\n');
      });
    });
}
