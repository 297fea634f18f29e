import { fieldErrorLines, messageOf } from './errors.ts';

/**
 * The state of a form that calls the server: busy while the call runs, then the error
 * and its per-field lines if the server refused it (shown by ErrorAlert.svelte).
 *
 * @example
 * const save = new Submission();
 * await save.run('Saving failed.', () => api('POST', '/api/collections', { body }));
 */
export class Submission {
  busy = $state(false);
  error = $state('');
  problems = $state<string[]>([]);

  /** Runs `fn`; answers true when it succeeded, false when it threw (the error is kept). */
  async run(fallback: string, fn: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.error = '';
    this.problems = [];
    try {
      await fn();
      return true;
    } catch (e) {
      this.error = messageOf(e, fallback);
      this.problems = fieldErrorLines(e);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
