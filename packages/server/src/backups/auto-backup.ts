import type { Config } from '../config.ts';
import type { CronRegistry } from '../crons/cron-registry.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../tools/clock.ts';
import type { BackgroundService } from '../tools/lifecycle.ts';
import type { BackupService } from './backup-service.ts';

/** The cron job id of automatic backups (PocketBase's `__pbAutoBackup__`). */
export const AUTO_BACKUP_JOB = '__fbAutoBackup__';

/**
 * Keeps `__fbAutoBackup__` registered exactly while `config.backupsCron` is set, with its
 * current expression: checked at start and every second after, so a settings change
 * (which updates the Config object in place) re-registers it without a restart.
 */
export function autoBackupService(deps: {
  config: Config;
  crons: CronRegistry;
  backups: BackupService;
  clock: Clock;
  logger: Logger;
}): BackgroundService {
  const { config, crons, backups, clock, logger } = deps;
  let registered = '';
  let cancel: (() => void) | undefined;
  function sync(): void {
    const expression = config.backupsCron;
    if (expression === registered) return;
    registered = expression;
    if (!expression) {
      crons.remove(AUTO_BACKUP_JOB);
      return;
    }
    try {
      crons.add(AUTO_BACKUP_JOB, expression, () => backups.autoBackup());
    } catch (err) {
      logger.error({ err, expression }, 'backups cron is not a valid cron expression');
    }
  }
  return {
    name: 'auto-backup',
    start() {
      sync();
      cancel = clock.every(1000, sync);
    },
    stop() {
      cancel?.();
      cancel = undefined;
    },
  };
}
