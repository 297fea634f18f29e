import { AsyncLocalStorage } from 'node:async_hooks';
import type { Executor, Query, Transaction } from './database.ts';

/** How a dialect runs one transaction: its statements and its transaction-control SQL. */
export interface TxDriver {
  /** Runs statements on the transaction's connection. */
  statements: Executor;
  /** Runs SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO SAVEPOINT on that connection. */
  control(sql: string): void | Promise<void>;
  /** Adds what the dialect's own code needs on an executor (e.g. the pg client). */
  decorate?(tx: Transaction): void;
}

/** One open transaction or savepoint of it. */
export interface TxScope {
  readonly driver: TxDriver;
  readonly parent: TxScope | undefined;
  readonly depth: number;
  /** False once it committed, rolled back or was released: its executor then refuses work. */
  active: boolean;
  /** afterCommit callbacks: a released savepoint hands them to its parent, a rolled-back one drops them. */
  readonly after: (() => void)[];
  /** Child savepoints run one at a time (one connection): the last one queued, if any. */
  tail: Promise<unknown> | undefined;
  readonly tx: Transaction;
}

const ended = () => new Error('This transaction has already ended; start a new one.');

/**
 * The transactions of one Database and the async context that knows the open one, so
 * `db.transaction()` called from inside a running transaction's work (a hook, a service
 * it calls) joins it as a savepoint on the same connection instead of queueing behind it
 * (SQLite: a deadlock) or taking a second connection (PostgreSQL: not atomic). Once the
 * transaction has ended, a late call (a timer started inside it) gets a new one.
 */
export class TxScopes {
  readonly #context = new AsyncLocalStorage<TxScope>();

  /** The innermost transaction still open in the caller's async context, if any. */
  current(): TxScope | undefined {
    let s = this.#context.getStore();
    while (s && !s.active) s = s.parent;
    return s;
  }

  /** A new outermost scope; the dialect begins and ends the transaction around `run`. */
  open(driver: TxDriver): TxScope {
    return this.#scope(driver, undefined);
  }

  /** Runs the body of a scope inside its async context. */
  run<T>(scope: TxScope, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#context.run(scope, fn, scope.tx);
  }

  /** Marks a scope (and so its executor) ended. */
  end(scope: TxScope): void {
    scope.active = false;
  }

  /**
   * Runs `fn` in a savepoint of `target`. Called from code already inside one of
   * `target`'s savepoints, it nests under that innermost one (waiting for it would
   * deadlock); savepoints of one scope run one after another.
   */
  nest<T>(target: TxScope, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    if (!target.active) return Promise.reject(ended());
    let under = target;
    const cur = this.#context.getStore();
    if (cur?.active && cur !== target) {
      for (let s = cur.parent; s; s = s.parent) {
        if (s === target) {
          under = cur;
          break;
        }
      }
    }
    const run = under.tail ? under.tail.then(() => this.#savepoint(under, fn)) : this.#savepoint(under, fn);
    // the queue only orders savepoints: `run` carries the outcome to the caller
    under.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #savepoint<T>(parent: TxScope, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    if (!parent.active) throw ended();
    const scope = this.#scope(parent.driver, parent);
    const name = `fb_sp_${scope.depth}`;
    const { control } = parent.driver;
    await control(`SAVEPOINT ${name}`);
    let value: T;
    try {
      value = await this.run(scope, fn);
    } catch (e) {
      scope.active = false;
      try {
        await control(`ROLLBACK TO SAVEPOINT ${name}`);
        await control(`RELEASE SAVEPOINT ${name}`);
      } catch (rollbackError) {
        throw new AggregateError([e, rollbackError], 'rolling back a savepoint failed');
      }
      throw e;
    }
    scope.active = false;
    await control(`RELEASE SAVEPOINT ${name}`);
    parent.after.push(...scope.after);
    return value;
  }

  #scope(driver: TxDriver, parent: TxScope | undefined): TxScope {
    const ex = driver.statements;
    const after: (() => void)[] = [];
    const tx: Transaction & { outermost: Transaction } = {
      get outermost(): Transaction {
        return parent ? parent.tx.outermost : tx;
      },
      all: <T>(q: Query) => (scope.active ? ex.all<T>(q) : Promise.reject(ended())),
      first: <T>(q: Query) => (scope.active ? ex.first<T>(q) : Promise.reject(ended())),
      run: (q: Query) => (scope.active ? ex.run(q) : Promise.reject(ended())),
      exec: (sql: string) => (scope.active ? ex.exec(sql) : Promise.reject(ended())),
      afterCommit: (fn: () => void) => {
        if (!scope.active) throw ended();
        after.push(fn);
      },
      transaction: <T>(fn: (tx: Transaction) => Promise<T>) => this.nest(scope, fn),
    };
    driver.decorate?.(tx);
    const scope: TxScope = {
      driver,
      parent,
      depth: parent ? parent.depth + 1 : 0,
      active: true,
      after,
      tail: undefined,
      tx,
    };
    return scope;
  }
}
