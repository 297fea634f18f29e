import { createRequire } from 'node:module';

/** A progress bar on stderr, drawn only on a terminal. */
export interface ProgressBar {
  /** Moves the bar to `done` of `total` (`label`: what is being worked on). */
  update(done: number, total: number, label?: string): void;
  /** Ends the bar (a no-op when it never started, or ended already). */
  stop(): void;
}

/**
 * A `cli-progress` bar titled `title` on stderr. cli-progress draws nothing when stderr is
 * not a TTY, so piped and scripted runs print only the command's result lines.
 *
 * @example
 * const bar = progressBar('import');
 * bar.update(bytesRead, fileSize, 'posts');
 * bar.stop();
 */
export function progressBar(title: string): ProgressBar {
  // loaded when a long command runs, not by every start of the CLI (`serve` included)
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {value}/{total} {label}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let state: 'new' | 'drawing' | 'stopped' = 'new';
  return {
    update(done, total, label = '') {
      if (state === 'stopped') return;
      if (state === 'new') {
        bar.start(Math.max(total, 1), done, { label });
        state = 'drawing';
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { label: label.length > 40 ? `…${label.slice(-39)}` : label });
    },
    stop() {
      if (state === 'drawing') bar.stop();
      state = 'stopped';
    },
  };
}
