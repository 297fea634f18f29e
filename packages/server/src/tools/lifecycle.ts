import type { Clock } from './clock.ts';

/**
 * A background part of the app (realtime hub, schema listener, pruning timers, later jobs
 * and cron): started once the app is built, stopped before the database closes.
 */
export interface BackgroundService {
  /** For logs and errors, e.g. `realtime`. */
  name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/**
 * Starts services in list order and stops the started ones in reverse, so each may rely
 * on those before it. A failed start stops what had started and rethrows; stop goes on
 * past a failing service and throws its error once every other one has stopped.
 */
export function createLifecycle(services: readonly BackgroundService[]) {
  const started: BackgroundService[] = [];

  async function stop(): Promise<void> {
    let failure: unknown;
    for (let s = started.pop(); s; s = started.pop()) {
      try {
        await s.stop();
      } catch (e) {
        failure ??= new Error(`stopping ${s.name} failed`, { cause: e });
      }
    }
    if (failure) throw failure;
  }

  return {
    async start(): Promise<void> {
      for (const s of services) {
        if (started.includes(s)) continue;
        try {
          await s.start();
        } catch (e) {
          const failed = new Error(`starting ${s.name} failed`, { cause: e });
          await stop().catch((stopErr: unknown) => {
            throw new AggregateError([failed, stopErr], failed.message);
          });
          throw failed;
        }
        started.push(s);
      }
    },
    stop,
  };
}

/**
 * A service that runs `task` at start and then every `everyMs` on `clock`; a failing run
 * goes to `onError` and the next run happens as planned.
 */
export function periodicService(
  name: string,
  clock: Clock,
  everyMs: number,
  task: () => Promise<void>,
  onError: (err: unknown) => void,
): BackgroundService {
  let cancel: (() => void) | undefined;
  const run = () => task().catch(onError);
  return {
    name,
    start() {
      void run();
      cancel = clock.every(everyMs, run);
    },
    stop() {
      cancel?.();
      cancel = undefined;
    },
  };
}
