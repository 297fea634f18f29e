import { fieldErrorLines, messageOf } from './errors.ts';

/**
 * The state of a screen's actions (a save, a run, a delete): busy while one runs, then its
 * notice or its failure with the server's field errors. `Outcome.svelte` shows it.
 */
export class Action {
  busy = $state(false);
  error = $state('');
  problems = $state<string[]>([]);
  notice = $state('');

  /** Runs `what`, showing `done` (or what it makes of the answer) or the failure; true when it worked. */
  async run<T>(
    what: () => Promise<T>,
    done: string | ((answer: T) => string),
    failed: string,
  ): Promise<boolean> {
    this.busy = true;
    this.error = '';
    this.problems = [];
    this.notice = '';
    try {
      const answer = await what();
      this.notice = typeof done === 'string' ? done : done(answer);
      return true;
    } catch (e) {
      this.error = messageOf(e, failed);
      this.problems = fieldErrorLines(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Shows a failure that no action of this screen made (loading the screen). */
  fail(e: unknown, failed: string): void {
    this.error = messageOf(e, failed);
  }
}
