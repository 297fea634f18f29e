import type { Command } from 'commander';
import type { App } from '../app.ts';
import { proxyList } from '../tools/client-ip.ts';
import { configFrom, withApp } from './common.ts';

const SYSTEM = { superuser: true };

function print(ips: readonly string[]): void {
  process.stdout.write(
    ips.length
      ? `Superuser IPs:\n${ips.map((ip) => `  ${ip}\n`).join('')}`
      : 'Superuser IPs: none (superusers are allowed from any IP).\n',
  );
}

/** Saves a new `superuserIPs` list through the settings service (checked and announced like a PATCH). */
async function save(app: App, ips: string[]): Promise<void> {
  await app.settings.update({ superuserIPs: ips }, SYSTEM);
  print(app.config.superuserIps);
}

function checked(ips: string[]): string[] {
  for (const ip of ips) {
    try {
      proxyList([ip]);
    } catch {
      throw new Error(`invalid IP address or CIDR "${ip}" (e.g. 203.0.113.7 or 10.0.0.0/8)`);
    }
  }
  return ips;
}

/**
 * `forgebase superuser ips [list | add IP… | remove IP… | clear]`: the settings
 * `superuserIPs` list (PocketBase's), for when the API itself is out of reach: with a list
 * set, superuser requests from other addresses are refused.
 */
export function registerSuperuserIpsCommand(superuser: Command): void {
  const ips = superuser
    .command('ips')
    .description('list or change the IPs/CIDRs superusers may come from (settings superuserIPs)');
  const list = async (_o: unknown, c: Command) => {
    await withApp(configFrom(c), async (app) => {
      await app.settings.load();
      print(app.config.superuserIps);
    });
  };
  ips.action(list);
  ips.command('list').description('print the list (empty: any IP)').action(list);
  ips
    .command('add <ip...>')
    .description('allow superusers from these IPs or CIDRs (only from the listed ones)')
    .action(async (add: string[], _o: unknown, c: Command) => {
      checked(add);
      await withApp(configFrom(c), async (app) => {
        await app.settings.load();
        const current = app.config.superuserIps;
        await save(app, [...current, ...add.filter((ip) => !current.includes(ip))]);
      });
    });
  ips
    .command('remove <ip...>')
    .description('remove IPs or CIDRs from the list')
    .action(async (remove: string[], _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        await app.settings.load();
        const current = app.config.superuserIps;
        const missing = remove.filter((ip) => !current.includes(ip));
        if (missing.length) throw new Error(`not in the list: ${missing.join(', ')}`);
        await save(
          app,
          current.filter((ip) => !remove.includes(ip)),
        );
      });
    });
  ips
    .command('clear')
    .description('empty the list: superusers are allowed from any IP again')
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), (app) => save(app, []));
    });
}
