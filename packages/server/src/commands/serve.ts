import type { Command } from 'commander';
import { createApp } from '../app.ts';
import { SUPERUSERS } from '../schema/collection.ts';
import { configFrom } from './common.ts';

interface ServeOptions {
  http?: string;
  https?: string;
  httpsCert?: string;
  httpsKey?: string;
  /** Comma-separated. */
  origins?: string;
  publicDir?: string;
  indexFallback?: boolean;
  dev?: boolean;
}

/** `forgebase serve`: starts the server; stops gracefully on SIGINT/SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the server')
    .option('--http <host:port>', 'address to listen on (default 127.0.0.1:8090)')
    .option('--https <host:port>', 'address of an HTTPS listener (needs --httpsCert and --httpsKey)')
    .option('--httpsCert <file>', 'PEM certificate (chain) for --https')
    .option('--httpsKey <file>', 'PEM private key for --https')
    .option('--origins <list>', 'CORS allowed origins, comma-separated (default *)')
    .option('--publicDir <path>', 'static files served at / (default fb_public beside the data dir)')
    .option('--indexFallback', 'serve index.html of the public dir for paths with no file (SPA)')
    .option(
      '--dev',
      'development: debug logs with SQL timings; without SMTP, the links and codes of mails are printed',
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const config = configFrom(cmd, {
        ...(opts.http ? { http: opts.http } : {}),
        ...(opts.dev ? { dev: true } : {}),
        ...(opts.https ? { https: opts.https } : {}),
        ...(opts.httpsCert ? { httpsCert: opts.httpsCert } : {}),
        ...(opts.httpsKey ? { httpsKey: opts.httpsKey } : {}),
        ...(opts.origins ? { origins: opts.origins.split(',') } : {}),
        ...(opts.publicDir ? { publicDir: opts.publicDir } : {}),
        ...(opts.indexFallback ? { indexFallback: true } : {}),
      });
      const started = performance.now();
      const app = await createApp(config, { applyMigrations: true });
      const url = await app.start();
      app.logger.info(
        { url, db: app.db.dialect, dataDir: config.dataDir, ms: Math.round(performance.now() - started) },
        'ForgeBase is serving',
      );
      const first = await app.records.asSystem().list(SUPERUSERS, { perPage: 1, skipTotal: true });
      if (first.items.length === 0) {
        process.stdout.write(
          `\nNo superuser yet. Create the first one in the dashboard (this link works once, for one hour):\n` +
            `  ${url}/_/#/install?token=${app.auth.installToken}\n` +
            `or with curl:\n` +
            `  curl -X POST ${url}/api/collections/_superusers/records -H 'Authorization: ${app.auth.installToken}' ` +
            `-H 'Content-Type: application/json' -d '{"email":"you@example.com","password":"…","passwordConfirm":"…"}'\n` +
            `or run: forgebase superuser upsert EMAIL PASSWORD\n\n`,
        );
      }
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        app.logger.info({ signal }, 'shutting down');
        app.stop().then(
          () => process.exit(0),
          (e: unknown) => {
            app.logger.error({ err: e }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    });
}
